package api

import (
	"context"
	"fmt"
	"net/http"

	"github.com/candour-vault/candour"
	"github.com/candour-vault/candour/internal/qrsvg"
)

// InvitationService creates feedback links (vault.Service).
type InvitationService interface {
	Invite(ctx context.Context, c candour.Caller, req candour.InvitationRequest) (candour.Invited, error)
}

// createInvitations answers POST /v1/invitations: 201 with each new link
// and its QR code, shown this once (only the token's hash is kept).
func (s *Server) createInvitations(w http.ResponseWriter, r *http.Request, p candour.Principal) {
	c, err := caller(r, p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var req candour.InvitationRequest
	if _, err := decodeJSON(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	got, err := s.cfg.Invitations.Invite(r.Context(), c, req)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	for i := range got.Invitations {
		inv := &got.Invitations[i]
		if inv.QRCode, err = qrsvg.SVG(inv.Link, fmt.Sprintf("QR code of feedback link %d", i+1)); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusCreated, got)
}
