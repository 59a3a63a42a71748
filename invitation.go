package candour

import (
	"context"
	"time"
)

// The citizen channel: a caseworker invites a person to give feedback on
// one interaction through a one-time link; the person answers with no
// account and gets a receipt code with which they can withdraw it later.

// RolePerson is the role of a person giving their own feedback through an
// invitation. It is never taken from a token (Role.Valid is false for it,
// so claim mapping ignores it): only the invitation pages act in it, for
// the invitation's agency, after the link's token has been checked.
const RolePerson Role = "person"

// ConsentMethodSelf is the consent method of feedback the person gave
// themselves through an invitation; only the invitation pages set it.
const ConsentMethodSelf = "self"

// PersonSubject is the principal subject of every request made through an
// invitation: the person is never named, and nothing links their record to
// the invitation they used.
const PersonSubject = "person"

// The actions of the citizen channel.
const (
	ActionInvitationCreate Action = "invitation.create"
	ActionInvitationList   Action = "invitation.list"
)

// SelfGiven reports whether the person gave this consent themselves,
// through an invitation.
func (c Consent) SelfGiven() bool { return c.Method == ConsentMethodSelf }

// Invitation asks one person for feedback on one interaction: the agency,
// service, touchpoint, channel, month and sensitivity of the record it
// leads to are fixed here, not by the person. It is stored with the hash
// of its link's token only.
type Invitation struct {
	ID          string
	Agency      string
	Service     string
	Touchpoint  string
	Channel     string
	Period      string
	Sensitivity Sensitivity
	// SubjectHash is the keyed hash of the subject reference the record is
	// to carry, so that erasure and subject access cover it; nil for none.
	SubjectHash []byte
	// Subject says whether the invitation carries a subject reference (the
	// hash is not read back on lists).
	Subject   bool
	CreatedBy string
	CreatedAt time.Time
	ExpiresAt time.Time
	Used      bool
}

// InvitationRequest is what a caseworker asks for: the interaction, an
// optional subject reference (never stored, only its keyed hash), and how
// many links (1 for a caseworker; an administrator may ask for a batch).
type InvitationRequest struct {
	Service     string      `json:"service"`
	Touchpoint  string      `json:"touchpoint,omitempty"`
	Channel     string      `json:"channel,omitempty"`
	Period      string      `json:"period"`
	Sensitivity Sensitivity `json:"sensitivity,omitempty"`
	SubjectRef  string      `json:"subject_ref,omitempty"`
	Count       int         `json:"count,omitempty"`
}

// MaxInvitationBatch is the most links one request may create.
const MaxInvitationBatch = 500

// Validate checks a request as it would check the feedback it leads to,
// and fills in defaults (sensitivity standard, count 1).
func (r *InvitationRequest) Validate(now time.Time) error {
	if r.Count == 0 {
		r.Count = 1
	}
	if r.Count < 1 || r.Count > MaxInvitationBatch {
		return Errorf(EINVALID, "count must be a whole number from 1 to %d.", MaxInvitationBatch)
	}
	if r.Count > 1 && r.SubjectRef != "" {
		return Errorf(EINVALID, "subject_ref may be given only for a single invitation (count 1).")
	}
	// The interaction's values are checked by the rules of a submission,
	// with a rating standing in for what the person will give.
	one := 1
	f := Feedback{Service: r.Service, Touchpoint: r.Touchpoint, Channel: r.Channel, Period: r.Period,
		Sensitivity: r.Sensitivity, SubjectRef: r.SubjectRef, Ratings: Ratings{Satisfaction: &one},
		Consent: Consent{Purposes: []Purpose{PurposeServiceImprovement}, Method: ConsentMethodSelf, NoticeVersion: "1"}}
	if err := f.Validate(now); err != nil {
		return err
	}
	r.Sensitivity = f.Sensitivity
	return nil
}

// CreatedInvitation is one new invitation with its link. The link (and
// the token in it) is shown once, to the person who asked for it, and
// never stored.
type CreatedInvitation struct {
	ID        string    `json:"id"`
	Link      string    `json:"link"`
	ExpiresAt time.Time `json:"expires_at"`
	// QRCode is the link as a QR code, an SVG document.
	QRCode string `json:"qr_svg"`
}

// Invited acknowledges the creation of invitations.
type Invited struct {
	Invitations []CreatedInvitation `json:"invitations"`
	AuditSeq    int64               `json:"audit_seq"`
}

// OwnFeedback is what the person gives through an invitation: their
// consent in their own terms, their ratings and comment.
type OwnFeedback struct {
	Purposes []Purpose
	// ShareWith are the partners named to the person, when they agree to
	// inter-agency insight.
	ShareWith []string
	Ratings   Ratings
	Comment   string
}

// OwnReceipt acknowledges the person's feedback: the receipt code they
// keep to withdraw it (shown once, stored only as a hash).
type OwnReceipt struct {
	Code string
}

// InvitationStore keeps invitations, by the hash of their token.
type InvitationStore interface {
	// CreateInvitations stores invs with their token hashes (same order)
	// and appends e, in one transaction.
	CreateInvitations(ctx context.Context, invs []Invitation, tokenHashes [][]byte, e AuditEntry) (seq int64, err error)
	// Invitation returns the invitation whose token hashes to tokenHash,
	// whatever agencies ctx may see (the token is the authority), or
	// ENOTFOUND.
	Invitation(ctx context.Context, tokenHash []byte) (Invitation, error)
	// Invitations returns the newest invitations of agency created by
	// createdBy (all of the agency's when empty), at most limit.
	Invitations(ctx context.Context, agency, createdBy string, limit int) ([]Invitation, error)
	// ReceiptRecord returns the id of the record whose receipt code hashes
	// to receiptHash, whatever agencies ctx may see, or ENOTFOUND.
	ReceiptRecord(ctx context.Context, receiptHash []byte) (string, error)
}

// InvitationUse, on a record given through an invitation, makes
// CreateFeedback use the invitation up and store the receipt's hash with
// the record, in the record's transaction: ErrInvitationUsed when the
// invitation is used, expired (at the record's SubmittedAt) or gone.
type InvitationUse struct {
	TokenHash   []byte
	ReceiptHash []byte
}
