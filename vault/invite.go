package vault

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/sethvargo/go-diceware/diceware"

	"github.com/candour-vault/candour"
)

// The citizen channel.
//
// Guarantees:
//   - a link's token is 160 random bits; only its SHA-256 is stored, and
//     it is shown once, to the caseworker who asked for it;
//   - an unknown, used and expired token are answered alike (ENOTFOUND),
//     and a token works once: the record and the invitation's use commit
//     together or not at all;
//   - the person's record is validated, decided by the policy (role
//     person, for the invitation's agency), sealed and audited exactly as a
//     caseworker's is; nothing stored links it to the invitation;
//   - a receipt code is five words drawn uniformly from 7,604 (64.4 bits),
//     stored only as a keyed hash (the key provider's, like subject
//     references), so a copy of the database cannot be searched for it.

// DefaultInvitationTTL is how long a link works when Config says nothing.
const DefaultInvitationTTL = 30 * 24 * time.Hour

// tokenBytes is the size of a link's token: 160 bits.
const tokenBytes = 20

// receiptWords is the number of words in a receipt code: 5 × log2(7,604)
// = 64.4 bits.
const receiptWords = 5

// tokenEncoding writes a token as 32 lowercase letters and digits, easy to
// type from a printed letter.
var tokenEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// person is the caller of a request made through an invitation (or with a
// receipt) for agency: never named.
func person(agency, requestID string) candour.Caller {
	return candour.Caller{RequestID: requestID, Principal: candour.Principal{Issuer: "candour:invitation",
		Subject: candour.PersonSubject, Agency: agency, Roles: []candour.Role{candour.RolePerson}}}
}

// words is the receipt code's word list: the EFF large word list (from
// github.com/sethvargo/go-diceware, MIT; the list is the EFF's, CC BY 3.0)
// without the words a person who has been hurt may not want to carry
// around (unsettling), each drawn uniformly.
type words struct {
	list  []string
	known map[string]bool
}

// unsettling are the stems of the words left out of receipt codes:
// violence, weapons, death, crime, illness, shame. Some harmless words go
// too (violin); at most 644 may go before five words fall below 64 bits
// (TestReceiptWords checks).
const unsettling = `kill murder dead death dying gun revolver rifle pistol knife stab blood bleed wound abus assault
	attack rape victim unsafe danger fear scar hurt pain punch slap chok strang drown suicid grave coffin corpse bruis
	bomb explo weapon hostage kidnap prison jail crim police arrest viol threat stalk harass drunk drug poison cancer
	tumor sick vomit diseas widow orphan funeral bur tortur cruel hat hostil menac panic terror scream cry tear sob
	grief griev mourn lonel naked nude sex pregnan divorc fist slaughter massacre execut hang noose sniper shoot shot
	bullet ammo grenade missile sword dagger machete axe hatchet cleaver sever amput fractur injur ambulance hospital
	morgue tomb skull bone skelet ghost demon devil evil sin hell damn curse vengeance reveng rage furious anger angry
	beat batter whip lash spank smother suffocat gag bind restrain handcuff captiv trap prey predator molest grope
	lust seduc strip pervert filth dirty shame guilt fault blam worthless ugly stupid idiot fool moron hopeless
	helpless useless alone abandon reject betray lie liar cheat steal thief rob burglar loot fraud scam decay rot
	mold maggot worm parasite plague virus infect fever wheez cough gross slit gigol`

func newWords() *words {
	eff := diceware.WordListEffLarge()
	stems := strings.Fields(unsettling)
	w := &words{known: map[string]bool{}}
	var roll func(prefix, digits int)
	roll = func(prefix, digits int) {
		if digits == 0 {
			word := eff.WordAt(prefix)
			for _, s := range stems {
				if strings.HasPrefix(word, s) {
					return
				}
			}
			if word == "cut" || word == "cane" || word == "stitch" || strings.ContainsFunc(word, func(r rune) bool { return r < 'a' || r > 'z' }) {
				return // and words that are not only letters (felt-tip), so that a code splits into its words
			}
			w.list = append(w.list, word)
			w.known[word] = true
			return
		}
		for d := 1; d <= 6; d++ {
			roll(prefix*10+d, digits-1)
		}
	}
	roll(0, eff.Digits())
	return w
}

// code draws a receipt code of receiptWords words.
func (w *words) code() (string, error) {
	out := make([]string, receiptWords)
	n := big.NewInt(int64(len(w.list)))
	for i := range out {
		k, err := rand.Int(rand.Reader, n)
		if err != nil {
			return "", err
		}
		out[i] = w.list[k.Int64()]
	}
	return strings.Join(out, "-"), nil
}

// ParseReceipt returns the canonical form of a receipt code as a person
// might type or read it back (any case, words split by spaces, hyphens or
// other punctuation), or false when it is not five words of the list.
func (s *Service) ParseReceipt(code string) (string, bool) {
	if len(code) > 200 {
		return "", false
	}
	ws := strings.FieldsFunc(strings.ToLower(code), func(r rune) bool { return !(r >= 'a' && r <= 'z') })
	if len(ws) != receiptWords {
		return "", false
	}
	for _, w := range ws {
		if !s.words.known[w] {
			return "", false
		}
	}
	return strings.Join(ws, "-"), true
}

// Invite creates invitations for one interaction of the caller's agency, if
// the policy allows: one for a caseworker, up to MaxInvitationBatch for an
// administrator. The links are returned once and never stored.
func (s *Service) Invite(ctx context.Context, c candour.Caller, req candour.InvitationRequest) (candour.Invited, error) {
	now := s.clock()
	if err := req.Validate(now); err != nil {
		return candour.Invited{}, err
	}
	p := c.Principal
	ctx = candour.WithAgencies(ctx, p.Agency)
	res := &candour.Resource{Agency: p.Agency, Service: req.Service, Sensitivity: req.Sensitivity}
	d, err := s.decide(ctx, c, candour.ActionInvitationCreate, res, now)
	if err != nil {
		return candour.Invited{}, err
	}
	if d.Allow && req.Count > 1 && !p.Has(candour.RoleAdmin) {
		d.Allow, d.Reasons = false, []string{"only an administrator creates a batch of invitations"}
	}
	if !d.Allow {
		if _, err := s.audit(ctx, c, candour.ActionInvitationCreate, nil, d, candour.OutcomeDenied, now); err != nil {
			return candour.Invited{}, err
		}
		return candour.Invited{}, candour.Errorf(candour.EFORBIDDEN, "Policy does not allow you to create this invitation: %s.", strings.Join(d.Reasons, "; "))
	}
	if s.linkBase == "" {
		return candour.Invited{}, candour.Errorf(candour.EUNAVAILABLE, "This server has no public address for feedback links (candour server --public-url); no invitation was created.")
	}
	var hash []byte
	if req.SubjectRef != "" {
		if hash, err = s.keys.SubjectHash(ctx, req.SubjectRef); err != nil {
			return candour.Invited{}, unavailable(err, "The key provider is unavailable; no invitation was created. Try again shortly.")
		}
	}
	invs := make([]candour.Invitation, req.Count)
	hashes := make([][]byte, req.Count)
	out := candour.Invited{Invitations: make([]candour.CreatedInvitation, req.Count)}
	expires := now.Add(s.invitationTTL)
	for i := range invs {
		id, err := s.newID()
		if err != nil {
			return candour.Invited{}, fmt.Errorf("new invitation id: %w", err)
		}
		token := make([]byte, tokenBytes)
		if _, err := rand.Read(token); err != nil {
			return candour.Invited{}, err
		}
		t := tokenEncoding.EncodeToString(token)
		h := sha256.Sum256([]byte(t))
		invs[i] = candour.Invitation{ID: id, Agency: p.Agency, Service: req.Service, Touchpoint: req.Touchpoint,
			Channel: req.Channel, Period: req.Period, Sensitivity: req.Sensitivity, SubjectHash: hash,
			CreatedBy: p.Subject, CreatedAt: now, ExpiresAt: expires}
		hashes[i] = h[:]
		out.Invitations[i] = candour.CreatedInvitation{ID: id, Link: s.linkBase + "/f/" + t, ExpiresAt: expires}
	}
	e := s.entry(c, candour.ActionInvitationCreate, nil, d, candour.OutcomeOK, now)
	subject := "no"
	if hash != nil {
		subject = "yes"
	}
	e.QueryParams = fmt.Sprintf("count=%d; service=%s; period=%s; subject_ref=%s", req.Count, req.Service, req.Period, subject)
	if out.AuditSeq, err = s.store.CreateInvitations(ctx, invs, hashes, e); err != nil {
		return candour.Invited{}, unavailable(err, "The record store is unavailable; no invitation was created. Try again shortly.")
	}
	return out, nil
}

// Invitations lists the newest invitations the caller may see: their own
// (a caseworker) or their agency's (an administrator).
func (s *Service) Invitations(ctx context.Context, c candour.Caller, limit int) ([]candour.Invitation, error) {
	now := s.clock()
	p := c.Principal
	ctx = candour.WithAgencies(ctx, p.Agency)
	d, err := s.decide(ctx, c, candour.ActionInvitationList, &candour.Resource{Agency: p.Agency}, now)
	if err != nil {
		return nil, err
	}
	if !d.Allow {
		return nil, candour.Errorf(candour.EFORBIDDEN, "Policy does not allow you to list invitations: %s.", strings.Join(d.Reasons, "; "))
	}
	by := p.Subject
	if p.Has(candour.RoleAdmin) {
		by = ""
	}
	invs, err := s.store.Invitations(ctx, p.Agency, by, limit)
	if err != nil {
		return nil, unavailable(err, "The record store is unavailable. Try again shortly.")
	}
	return invs, nil
}

// errLinkGone is the one answer to a token that is unknown, used or
// expired.
func errLinkGone() error {
	return candour.Errorf(candour.ENOTFOUND, "This feedback link does not work: it may have been used already, or it has expired.")
}

// OpenInvitation returns the invitation a link's token opens, if it can
// still be used; ENOTFOUND, alike, for an unknown, used or expired token.
func (s *Service) OpenInvitation(ctx context.Context, token string) (candour.Invitation, error) {
	if len(token) != tokenEncoding.EncodedLen(tokenBytes) {
		return candour.Invitation{}, errLinkGone()
	}
	if _, err := tokenEncoding.DecodeString(token); err != nil {
		return candour.Invitation{}, errLinkGone()
	}
	h := sha256.Sum256([]byte(token))
	inv, err := s.store.Invitation(ctx, h[:])
	switch {
	case candour.ErrorCode(err) == candour.ENOTFOUND:
		return candour.Invitation{}, errLinkGone()
	case err != nil:
		return candour.Invitation{}, unavailable(err, "The service is unavailable. Try again shortly.")
	case inv.Used || !s.clock().Before(inv.ExpiresAt):
		return candour.Invitation{}, errLinkGone()
	}
	return inv, nil
}

// SubmitOwn stores what the person gave through the invitation the token
// opens, and returns their receipt code. The agency, service, touchpoint,
// channel, month, sensitivity and subject come from the invitation; the
// consent method is ConsentMethodSelf and the notice the one shown.
func (s *Service) SubmitOwn(ctx context.Context, requestID, token string, own candour.OwnFeedback, notice string) (candour.OwnReceipt, error) {
	inv, err := s.OpenInvitation(ctx, token)
	if err != nil {
		return candour.OwnReceipt{}, err
	}
	now := s.clock()
	c := person(inv.Agency, requestID)
	ctx = candour.WithAgencies(ctx, inv.Agency)
	f := candour.Feedback{Agency: inv.Agency, SubmittedBy: candour.PersonSubject, SubmittedAt: now,
		Service: inv.Service, Touchpoint: inv.Touchpoint, Channel: inv.Channel, Period: inv.Period,
		Ratings: own.Ratings, Comment: own.Comment, Sensitivity: inv.Sensitivity,
		Consent: candour.Consent{Purposes: own.Purposes, ShareWith: own.ShareWith, Method: candour.ConsentMethodSelf,
			NoticeVersion: notice}}
	if err := f.Validate(now); err != nil {
		return candour.OwnReceipt{}, err
	}
	f.Consent.CapturedAt, f.Consent.CapturedBy = now, candour.PersonSubject
	res := &candour.Resource{Agency: f.Agency, Service: f.Service, Sensitivity: f.Sensitivity, Consent: &f.Consent}
	d, err := s.decide(ctx, c, candour.ActionFeedbackCreate, res, now)
	if err != nil {
		return candour.OwnReceipt{}, err
	}
	if !d.Allow {
		if _, err := s.audit(ctx, c, candour.ActionFeedbackCreate, nil, d, candour.OutcomeDenied, now); err != nil {
			return candour.OwnReceipt{}, err
		}
		return candour.OwnReceipt{}, candour.Errorf(candour.EFORBIDDEN, "This feedback cannot be accepted: %s.", strings.Join(d.Reasons, "; "))
	}
	receipt, err := s.words.code()
	if err != nil {
		return candour.OwnReceipt{}, err
	}
	rh, err := s.receiptHash(ctx, receipt)
	if err != nil {
		return candour.OwnReceipt{}, unavailable(err, keysDown)
	}
	th := sha256.Sum256([]byte(token))
	_, err = s.create(ctx, c, f, d, inv.SubjectHash, &candour.InvitationUse{TokenHash: th[:], ReceiptHash: rh}, candour.Idempotency{}, now)
	if errors.Is(err, candour.ErrInvitationUsed) {
		return candour.OwnReceipt{}, errLinkGone()
	}
	if err != nil {
		return candour.OwnReceipt{}, err
	}
	return candour.OwnReceipt{Code: receipt}, nil
}

// receiptHash is the keyed hash a receipt code is stored under.
func (s *Service) receiptHash(ctx context.Context, canonical string) ([]byte, error) {
	return s.keys.SubjectHash(ctx, "candour-receipt\x00"+canonical)
}

// WithdrawOwn withdraws, for the person holding the receipt code, the
// feedback it was given for: the same withdrawal as a caseworker's, decided
// by the policy and audited. EINVALID when code is not a receipt code;
// ENOTFOUND when no record has it (never given, or erased since); ECONFLICT
// when it was already withdrawn.
func (s *Service) WithdrawOwn(ctx context.Context, requestID, code string) (candour.Withdrawal, error) {
	canonical, ok := s.ParseReceipt(code)
	if !ok {
		return candour.Withdrawal{}, candour.Errorf(candour.EINVALID, "A receipt code is five words from your receipt.")
	}
	rh, err := s.receiptHash(ctx, canonical)
	if err != nil {
		return candour.Withdrawal{}, unavailable(err, "The key provider is unavailable; nothing was changed. Try again shortly.")
	}
	id, err := s.store.ReceiptRecord(ctx, rh)
	if err != nil {
		if candour.ErrorCode(err) == candour.ENOTFOUND {
			return candour.Withdrawal{}, candour.Errorf(candour.ENOTFOUND, "No feedback has this receipt code.")
		}
		return candour.Withdrawal{}, unavailable(err, "The record store is unavailable; nothing was changed. Try again shortly.")
	}
	agency, err := s.store.RecordAgency(ctx, id)
	if err != nil {
		return candour.Withdrawal{}, unavailable(err, "The record store is unavailable; nothing was changed. Try again shortly.")
	}
	return s.Withdraw(ctx, person(agency, requestID), id)
}
