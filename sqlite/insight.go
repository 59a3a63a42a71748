package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/candour-vault/candour"
)

// withdrawnValues clears what a withdrawn record must not keep: every
// analytical value, so that it keeps only its id, agency, consent record and
// withdrawal time.
const withdrawnValues = `service = '', touchpoint = '', channel = '', period = '',
	satisfaction = NULL, effort = NULL, felt_safe = '', felt_believed = '', would_recommend = NULL,
	record_key = 0, has_comment = 0, age_band = '', sex = '', ethnic_group = '', disability = ''`

// grantsWhere turns a scope's grants into a condition over a table with the
// columns agency, sensitivity, consent_purposes and consent_share_with (JSON
// arrays), with the same meaning as candour.Scope. An empty scope is "0".
func grantsWhere(scope candour.Scope) (string, []any) {
	var grants []string
	var args []any
	for _, g := range scope.Grants {
		if len(g.Purposes) == 0 || len(g.Sensitivities) == 0 {
			continue // admits nothing
		}
		conds := []string{"agency = ?", "sensitivity IN (?" + strings.Repeat(",?", len(g.Sensitivities)-1) + ")"}
		args = append(args, g.Agency)
		for _, s := range g.Sensitivities {
			args = append(args, string(s))
		}
		for _, p := range g.Purposes {
			conds = append(conds, "EXISTS (SELECT 1 FROM json_each(consent_purposes) WHERE value = ?)")
			args = append(args, string(p))
		}
		if g.SharedWith != "" {
			conds = append(conds, "EXISTS (SELECT 1 FROM json_each(consent_share_with) WHERE value = ?)")
			args = append(args, g.SharedWith)
		}
		grants = append(grants, "("+strings.Join(conds, " AND ")+")")
	}
	if len(grants) == 0 {
		return "0", nil
	}
	return "(" + strings.Join(grants, " OR ") + ")", args
}

// scopeWhere is the condition of candour.Scope.Contains over feedback:
// consent live at now, and a grant that admits the record.
func scopeWhere(scope candour.Scope, now time.Time) (string, []any) {
	grants, args := grantsWhere(scope)
	if grants == "0" {
		return "0", nil
	}
	return "consent_withdrawn_at IS NULL AND (consent_expires_at IS NULL OR consent_expires_at > ?) AND " + grants,
		append([]any{formatTime(now)}, args...)
}

// filtersWhere adds a query's period and service filters to where.
func filtersWhere(where string, args []any, q candour.SummaryQuery) (string, []any) {
	for _, f := range []struct{ cond, val string }{{"period >= ?", q.From}, {"period <= ?", q.To}, {"service = ?", q.Service}} {
		if f.val != "" {
			where += " AND " + f.cond
			args = append(args, f.val)
		}
	}
	return where, args
}

// queryWhere is scopeWhere with a summary query's filters added.
func queryWhere(scope candour.Scope, now time.Time, q candour.SummaryQuery) (string, []any) {
	where, args := scopeWhere(scope, now)
	return filtersWhere(where, args, q)
}

// ReleasedPeriods returns every release, oldest period first.
func (d *DB) ReleasedPeriods(ctx context.Context) ([]candour.Release, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT period, released_at, records FROM insight_releases ORDER BY period`)
	if err != nil {
		return nil, fmt.Errorf("select releases: %w", err)
	}
	defer rows.Close()
	var out []candour.Release
	for rows.Next() {
		var r candour.Release
		var at string
		if err := rows.Scan(&r.Period, &at, &r.Records); err != nil {
			return nil, err
		}
		if r.ReleasedAt, err = parseTime(at); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// PendingPeriods returns the periods up to through that hold live records
// not yet released and are not released yet, oldest first.
func (d *DB) PendingPeriods(ctx context.Context, through string) ([]string, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT DISTINCT period FROM feedback WHERE period <> '' AND period <= ?
		AND released = 0 AND consent_withdrawn_at IS NULL
		AND period NOT IN (SELECT period FROM insight_releases) ORDER BY period`, through)
	if err != nil {
		return nil, fmt.Errorf("select pending periods: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// releasable selects the records of a period that a release at a time takes:
// submitted by then, consent live then.
const releasable = `period = ? AND consent_withdrawn_at IS NULL
	AND (consent_expires_at IS NULL OR consent_expires_at > ?) AND submitted_at <= ?`

// ReleasePeriod releases period at at, in one transaction: each record of the
// period submitted by then with consent live then is marked released and its
// analytical values are copied into the release; per agency and service the
// number of members is kept. ECONFLICT when the period is already released.
func (d *DB) ReleasePeriod(ctx context.Context, period string, at time.Time) (candour.Release, error) {
	rel := candour.Release{Period: period, ReleasedAt: at}
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM insight_releases WHERE period = ?`, period).Scan(&one)
		switch {
		case err == nil:
			return candour.Errorf(candour.ECONFLICT, "The period %s is already released.", period)
		case !errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("select release: %w", err)
		}
		args := []any{period, formatTime(at), formatTime(at)}
		res, err := tx.ExecContext(ctx, `INSERT INTO insight_release_rows SELECT period, agency, service, touchpoint, channel,
			sensitivity, consent_purposes, consent_share_with, satisfaction, effort, felt_safe, felt_believed,
			would_recommend, age_band, sex, ethnic_group, disability, record_key, submitted_by, subject_hash
			FROM feedback WHERE `+releasable, args...)
		if err != nil {
			return fmt.Errorf("copy release rows: %w", err)
		}
		n, _ := res.RowsAffected()
		rel.Records = int(n)
		if _, err := tx.ExecContext(ctx, `UPDATE feedback SET released = 1 WHERE `+releasable, args...); err != nil {
			return fmt.Errorf("mark released: %w", err)
		}
		if err := buildStrata(ctx, tx, "period = ?", period); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO insight_release_groups (agency, service, period, members, subjects, first_expiry)
			SELECT agency, service, period, count(*),
				count(DISTINCT subject_hash) + sum(CASE WHEN subject_hash IS NULL THEN 1 ELSE 0 END),
				min(consent_expires_at) FROM feedback WHERE released = 1 AND period = ?
			GROUP BY agency, service, period`, period); err != nil {
			return fmt.Errorf("release groups: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO insight_comment_strata SELECT agency, service, period, sensitivity,
			consent_purposes, consent_share_with, submitted_by, count(*),
			count(DISTINCT subject_hash) + sum(CASE WHEN subject_hash IS NULL THEN 1 ELSE 0 END)
			FROM feedback WHERE released = 1 AND has_comment = 1 AND period = ?
			GROUP BY agency, service, period, sensitivity, consent_purposes, consent_share_with, submitted_by`, period); err != nil {
			return fmt.Errorf("comment strata: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO insight_releases (period, released_at, records) VALUES (?, ?, ?)`,
			period, formatTime(at), rel.Records); err != nil {
			return fmt.Errorf("insert release: %w", err)
		}
		return nil
	})
	return rel, err
}

// strataKey is what a stratum groups release rows by.
const strataKey = `period, agency, service, touchpoint, channel, sensitivity, consent_purposes, consent_share_with,
	age_band, sex, ethnic_group, disability, submitter`

// buildStrata sums the release rows that where selects into strata.
func buildStrata(ctx context.Context, tx *sql.Tx, where string, args ...any) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO insight_release_strata SELECT `+strataKey+`,
		count(*), sum(record_key) % 4294967296,
		count(DISTINCT subject_hash) + sum(CASE WHEN subject_hash IS NULL THEN 1 ELSE 0 END),
		coalesce(sum(satisfaction), 0), count(satisfaction), coalesce(sum(effort), 0), count(effort),
		sum(CASE WHEN felt_safe = 'yes' THEN 1 ELSE 0 END), sum(CASE WHEN felt_safe <> '' THEN 1 ELSE 0 END),
		sum(CASE WHEN felt_believed = 'yes' THEN 1 ELSE 0 END), sum(CASE WHEN felt_believed <> '' THEN 1 ELSE 0 END),
		sum(CASE WHEN would_recommend >= 9 THEN 1 ELSE 0 END), sum(CASE WHEN would_recommend <= 6 THEN 1 ELSE 0 END),
		count(would_recommend)
		FROM insight_release_rows WHERE `+where+` GROUP BY `+strataKey, args...)
	if err != nil {
		return fmt.Errorf("release strata: %w", err)
	}
	return nil
}

// eraseReleased deletes a subject's release rows and sums the strata of the
// months they were in again.
func eraseReleased(ctx context.Context, tx *sql.Tx, agency string, subjectHash []byte) error {
	rows, err := tx.QueryContext(ctx, `SELECT DISTINCT period FROM insight_release_rows WHERE agency = ? AND subject_hash = ?`, agency, subjectHash)
	if err != nil {
		return fmt.Errorf("select subject's released months: %w", err)
	}
	var periods []string
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			rows.Close()
			return err
		}
		periods = append(periods, p)
	}
	rows.Close()
	if _, err := tx.ExecContext(ctx, `DELETE FROM insight_release_rows WHERE agency = ? AND subject_hash = ?`, agency, subjectHash); err != nil {
		return fmt.Errorf("delete subject's released rows: %w", err)
	}
	for _, p := range periods {
		if _, err := tx.ExecContext(ctx, `DELETE FROM insight_release_strata WHERE agency = ? AND period = ?`, agency, p); err != nil {
			return fmt.Errorf("delete strata: %w", err)
		}
		if err := buildStrata(ctx, tx, "agency = ? AND period = ?", agency, p); err != nil {
			return err
		}
	}
	return nil
}

// ReleaseStrata returns the release strata the scope admits that pass q's
// filters. The scope and filters are applied in SQL.
func (d *DB) ReleaseStrata(ctx context.Context, scope candour.Scope, q candour.SummaryQuery) ([]candour.Stratum, error) {
	where, args := grantsWhere(scope)
	where, args = filtersWhere(where, args, q)
	rows, err := d.db.QueryContext(ctx, `SELECT `+strataKey+`, n, key_sum, subjects, sat_sum, sat_n, effort_sum, effort_n,
		safe_yes, safe_n, believed_yes, believed_n, promoters, detractors, recommend_n
		FROM insight_release_strata WHERE `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("select strata: %w", err)
	}
	defer rows.Close()
	var out []candour.Stratum
	for rows.Next() {
		var (
			st                     candour.Stratum
			sens, purposes, shares string
		)
		k := &st.ReleaseKey
		if err := rows.Scan(&k.Period, &k.Agency, &k.Service, &k.Touchpoint, &k.Channel, &sens, &purposes, &shares,
			&k.Bands.AgeBand, &k.Bands.Sex, &k.Bands.EthnicGroup, &k.Bands.Disability, &k.Submitter,
			&st.N, &st.KeySum, &st.Subjects, &st.SatSum, &st.SatN, &st.EffortSum, &st.EffortN,
			&st.SafeYes, &st.SafeN, &st.BelievedYes, &st.BelievedN, &st.Promoters, &st.Detractors, &st.RecommendN); err != nil {
			return nil, fmt.Errorf("scan stratum: %w", err)
		}
		k.Sensitivity = candour.Sensitivity(sens)
		if err := json.Unmarshal([]byte(purposes), &k.Purposes); err != nil {
			return nil, fmt.Errorf("decode stratum: %w", err)
		}
		if err := json.Unmarshal([]byte(shares), &k.ShareWith); err != nil {
			return nil, fmt.Errorf("decode stratum: %w", err)
		}
		if len(k.ShareWith) == 0 {
			k.ShareWith = nil
		}
		out = append(out, st)
	}
	return out, rows.Err()
}

// commentWhere selects the live released records with comments in scope at
// now that pass q's filters.
func commentWhere(scope candour.Scope, now time.Time, q candour.SummaryQuery) (string, []any) {
	where, args := queryWhere(scope, now, q)
	return "released = 1 AND has_comment = 1 AND " + where, args
}

// CommentTallies returns, for each released agency, service and month the
// scope admits that passes q's filters, how many records with comments each
// submitter recorded, as the release counted them, and how many distinct
// subjects they are (summed over strata, so a subject with records in two
// strata counts twice). It reads the counts kept at release, one row per
// stratum, never a record: its time does not grow with a group's size.
func (d *DB) CommentTallies(ctx context.Context, scope candour.Scope, q candour.SummaryQuery) ([]candour.CommentTally, error) {
	where, args := grantsWhere(scope)
	where, args = filtersWhere(where, args, q)
	rows, err := d.db.QueryContext(ctx, `SELECT agency, service, period, submitter, sum(members), sum(subjects)
		FROM insight_comment_strata WHERE `+where+` GROUP BY agency, service, period, submitter ORDER BY agency, service, period`, args...)
	if err != nil {
		return nil, fmt.Errorf("comment tallies: %w", err)
	}
	defer rows.Close()
	var out []candour.CommentTally
	for rows.Next() {
		var t candour.CommentTally
		var sub string
		var n, subjects int
		if err := rows.Scan(&t.Agency, &t.Service, &t.Period, &sub, &n, &subjects); err != nil {
			return nil, err
		}
		if len(out) == 0 || out[len(out)-1].Agency != t.Agency || out[len(out)-1].Service != t.Service || out[len(out)-1].Period != t.Period {
			t.BySubmitter = map[string]int{}
			out = append(out, t)
		}
		last := &out[len(out)-1]
		last.BySubmitter[sub] += n
		last.Subjects += subjects
	}
	return out, rows.Err()
}

// CommentMembers returns the id and record key of each live released record
// with a comment of one agency's service in one month, in scope at now.
func (d *DB) CommentMembers(ctx context.Context, scope candour.Scope, now time.Time, agency, service, period string) ([]candour.Record, error) {
	where, args := commentWhere(scope, now, candour.SummaryQuery{From: period, To: period, Service: service})
	rows, err := d.db.QueryContext(ctx, `SELECT id, record_key FROM feedback WHERE agency = ? AND `+where, append([]any{agency}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("comment members: %w", err)
	}
	defer rows.Close()
	var out []candour.Record
	for rows.Next() {
		r := candour.Record{Agency: agency, Service: service, Period: period}
		if err := rows.Scan(&r.ID, &r.RecordKey); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// ReleaseGroups returns, for each agency, service and released period of the
// given agencies that passes q's filters, how many records were released and
// whether all are still there with consent live at now.
func (d *DB) ReleaseGroups(ctx context.Context, agencies []string, now time.Time, q candour.SummaryQuery) ([]candour.ReleaseGroup, error) {
	if len(agencies) == 0 {
		return nil, nil
	}
	args := []any{formatTime(now)}
	for _, a := range agencies {
		args = append(args, a)
	}
	where, args := filtersWhere("agency IN (?"+strings.Repeat(",?", len(agencies)-1)+")", args, q)
	rows, err := d.db.QueryContext(ctx, `SELECT agency, service, period, members, subjects,
		lost = 0 AND (first_expiry IS NULL OR first_expiry > ?)
		FROM insight_release_groups WHERE `+where+` ORDER BY agency, service, period`, args...)
	if err != nil {
		return nil, fmt.Errorf("select release groups: %w", err)
	}
	defer rows.Close()
	var out []candour.ReleaseGroup
	for rows.Next() {
		var g candour.ReleaseGroup
		if err := rows.Scan(&g.Agency, &g.Service, &g.Period, &g.Members, &g.Subjects, &g.Intact); err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// lostFromRelease counts, in the release groups, the released records that
// where selects (by columns of feedback) as lost, before they are withdrawn
// or erased.
func lostFromRelease(ctx context.Context, tx *sql.Tx, where string, args ...any) error {
	_, err := tx.ExecContext(ctx, `UPDATE insight_release_groups AS g SET lost = g.lost + f.n
		FROM (SELECT agency, service, period, count(*) AS n FROM feedback WHERE released = 1 AND `+where+`
			GROUP BY agency, service, period) AS f
		WHERE g.agency = f.agency AND g.service = f.service AND g.period = f.period`, args...)
	if err != nil {
		return fmt.Errorf("count lost release members: %w", err)
	}
	return nil
}
