package policy

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"time"

	"filippo.io/age"

	"github.com/candour-vault/candour"
)

// policyData is the shape data.json must have.
type policyData struct {
	Defaults struct {
		MinCellSize int `json:"min_cell_size"`
	} `json:"defaults"`
	Roles    map[string]struct{ Purposes []candour.Purpose } `json:"roles"`
	Agencies map[string]struct {
		Name         string
		AgeRecipient string `json:"age_recipient"`
		Oversight    bool   `json:"oversight"`
	} `json:"agencies"`
	Services  map[string]struct{ Agency, Name string } `json:"services"`
	Retention struct {
		ConsentGraceDays *int                    `json:"consent_grace_days"`
		Rules            []candour.RetentionRule `json:"rules"`
	} `json:"retention"`
	Agreements []struct {
		ID                      string            `json:"id"`
		Owner                   string            `json:"owner"`
		Partners                []string          `json:"partners"`
		Purposes                []candour.Purpose `json:"purposes"`
		SpecialCategoryPurposes []candour.Purpose `json:"special_category_purposes"`
		DataItems               []string          `json:"data_items"`
		MinCellSize             int               `json:"min_cell_size"`
		Start, Expires, Review  string
	} `json:"agreements"`
}

// CheckData returns every problem with the shape of f's data, each as a plain
// sentence; none means the data is fit for the policy.
func CheckData(f Files) []string {
	var probs []string
	bad := func(format string, args ...any) { probs = append(probs, fmt.Sprintf(format, args...)) }
	b, err := json.Marshal(f.Data)
	if err != nil {
		return []string{"data.json cannot be encoded: " + err.Error()}
	}
	var d policyData
	if err := json.Unmarshal(b, &d); err != nil {
		return []string{"data.json does not have the expected shape: " + err.Error()}
	}
	if d.Defaults.MinCellSize < 1 {
		bad("defaults.min_cell_size must be at least 1")
	}
	for _, r := range candour.Roles() {
		if _, ok := d.Roles[string(r)]; !ok {
			bad("roles.%s is missing", r)
		}
	}
	for name, r := range d.Roles {
		if !candour.Role(name).Valid() {
			bad("roles.%s is not a role Candour knows", name)
		}
		for _, p := range r.Purposes {
			if !slices.Contains(candour.RequestPurposes(), p) {
				bad("roles.%s names the unknown purpose %q", name, p)
			}
		}
	}
	if len(d.Agencies) == 0 {
		bad("agencies is empty")
	}
	for id, a := range d.Agencies {
		if !candour.ValidAgencyID(id) {
			bad("agency id %q must be lowercase words joined by hyphens", id)
		}
		if a.AgeRecipient != "" {
			if _, err := age.ParseX25519Recipient(a.AgeRecipient); err != nil {
				bad("agencies.%s.age_recipient is not an age public key (age1...)", id)
			}
		}
	}
	known := func(id string) bool { _, ok := d.Agencies[id]; return ok }
	for svc, s := range d.Services {
		if !known(s.Agency) {
			bad("services.%s belongs to the unknown agency %q", svc, s.Agency)
		}
	}
	probs = append(probs, checkRetention(d)...)
	for i, a := range d.Agreements {
		at := fmt.Sprintf("agreements[%d] (%s)", i, a.ID)
		if a.ID == "" {
			bad("agreements[%d] has no id", i)
		}
		if !known(a.Owner) {
			bad("%s: owner %q is not a known agency", at, a.Owner)
		}
		if len(a.Partners) == 0 {
			bad("%s: partners is empty", at)
		}
		for _, p := range a.Partners {
			if !known(p) || p == a.Owner {
				bad("%s: partner %q must be a known agency other than the owner", at, p)
			}
		}
		if len(a.Purposes) == 0 {
			bad("%s: purposes is empty", at)
		}
		for _, p := range append(slices.Clone(a.Purposes), a.SpecialCategoryPurposes...) {
			if !slices.Contains(candour.ConsentPurposes(), p) {
				bad("%s: %q is not a purpose a person can consent to", at, p)
			}
		}
		for _, p := range a.SpecialCategoryPurposes {
			if !slices.Contains(a.Purposes, p) {
				bad("%s: special-category purpose %q is not among the agreement's purposes", at, p)
			}
		}
		for _, item := range a.DataItems {
			if !slices.Contains([]string{"comments", "equality", "ratings"}, item) {
				bad("%s: data item %q must be comments, equality or ratings", at, item)
			}
		}
		if a.MinCellSize < d.Defaults.MinCellSize {
			bad("%s: min_cell_size %d is below the default %d", at, a.MinCellSize, d.Defaults.MinCellSize)
		}
		start, err1 := time.Parse(time.RFC3339, a.Start)
		expires, err2 := time.Parse(time.RFC3339, a.Expires)
		_, err3 := time.Parse(time.RFC3339, a.Review)
		if err1 != nil || err2 != nil || err3 != nil {
			bad("%s: start, expires and review must be RFC 3339 times such as 2027-12-31T23:59:59Z", at)
		} else if !expires.After(start) {
			bad("%s: expires must be after start", at)
		}
	}
	sort.Strings(probs)
	return probs
}

// catalogue reads the agencies (sorted by id), services (sorted by id) and
// the partners each agency shares with under an agreement from data, which
// CheckData has passed or Compile would not be reached with a useful policy;
// what does not fit the shape is left out.
func catalogue(data map[string]any) candour.Catalogue {
	raw, err := json.Marshal(data)
	if err != nil {
		return candour.Catalogue{}
	}
	var d policyData
	if json.Unmarshal(raw, &d) != nil {
		return candour.Catalogue{}
	}
	var c candour.Catalogue
	c.Retention.Rules = d.Retention.Rules
	if g := d.Retention.ConsentGraceDays; g != nil {
		c.Retention.ConsentGraceDays = *g
	}
	for _, id := range slices.Sorted(maps.Keys(d.Agencies)) {
		a := candour.Agency{ID: id, Name: d.Agencies[id].Name}
		for _, ag := range d.Agreements {
			if ag.Owner == id {
				a.Partners = append(a.Partners, ag.Partners...)
			}
		}
		slices.Sort(a.Partners)
		a.Partners = slices.Compact(a.Partners)
		c.Agencies = append(c.Agencies, a)
	}
	for _, id := range slices.Sorted(maps.Keys(d.Services)) {
		c.Services = append(c.Services, candour.Service{ID: id, Name: d.Services[id].Name, Agency: d.Services[id].Agency})
	}
	return c
}

// checkRetention returns the problems with the retention rules: each names
// a known agency (and, when set, one of its services and a known
// sensitivity) and a number of months; no two rules cover the same records;
// every agency that holds records has a rule of its own, so that nothing is
// kept for ever by omission.
func checkRetention(d policyData) []string {
	var probs []string
	bad := func(format string, args ...any) { probs = append(probs, fmt.Sprintf(format, args...)) }
	r := d.Retention
	if r.ConsentGraceDays == nil {
		bad("retention.consent_grace_days is missing (days a record is kept after its consent expires)")
	} else if *r.ConsentGraceDays < 0 || *r.ConsentGraceDays > 3650 {
		bad("retention.consent_grace_days must be between 0 and 3650")
	}
	ids, covers := map[string]bool{}, map[[3]string]string{}
	agencyWide := map[string]bool{}
	sensitivities := []candour.Sensitivity{candour.SensitivityStandard, candour.SensitivitySpecialCategory, candour.SensitivitySafeguarding}
	for i, rule := range r.Rules {
		at := fmt.Sprintf("retention.rules[%d] (%s)", i, rule.ID)
		switch {
		case !candour.ValidAgencyID(rule.ID):
			bad("retention.rules[%d]: id %q must be lowercase words, digits and hyphens", i, rule.ID)
		case ids[rule.ID]:
			bad("%s: the id is used twice", at)
		}
		ids[rule.ID] = true
		if _, ok := d.Agencies[rule.Agency]; !ok {
			bad("%s: agency %q is not a known agency", at, rule.Agency)
		}
		if rule.Service != "" && d.Services[rule.Service].Agency != rule.Agency {
			bad("%s: service %q is not one of the agency's services", at, rule.Service)
		}
		if rule.Sensitivity != "" && !slices.Contains(sensitivities, rule.Sensitivity) {
			bad("%s: sensitivity %q must be standard, special_category or safeguarding", at, rule.Sensitivity)
		}
		if rule.Months < 1 || rule.Months > 1200 {
			bad("%s: months must be between 1 and 1200", at)
		}
		key := [3]string{rule.Agency, rule.Service, string(rule.Sensitivity)}
		if other, ok := covers[key]; ok {
			bad("%s covers the same records as %s", at, other)
		}
		covers[key] = rule.ID
		if rule.Service == "" && rule.Sensitivity == "" {
			agencyWide[rule.Agency] = true
		}
	}
	for id, a := range d.Agencies {
		if !a.Oversight && !agencyWide[id] {
			bad("retention: agency %s has no rule of its own (one without service or sensitivity), so its records would be kept for ever", id)
		}
	}
	return probs
}
