package httpapi

import (
	"net/http"
)

// Handler returns the whole HTTP surface of Nätverk.
func (s *Server) Handler() http.Handler {
	if s.RateLimit > 0 {
		s.limiter = newLimiter(s.RateLimit)
	}
	if s.MaxBody <= 0 {
		s.MaxBody = 1 << 20
	}
	if s.MaxImport <= 0 {
		s.MaxImport = 64 << 20
	}
	mux := http.NewServeMux()

	// Operations.
	mux.HandleFunc("GET /healthz", s.handleHealthz)
	mux.HandleFunc("GET /readyz", s.handleReadyz)
	if s.Metrics != nil {
		mux.Handle("GET /metrics", s.Metrics)
	}

	// Members and the directory.
	mux.HandleFunc("POST /api/v1/members/import", s.roles(adminOnly, s.handleImportMembers))
	mux.HandleFunc("GET /api/v1/members", s.roles(organizers, s.handleSearchMembers))
	mux.HandleFunc("GET /api/v1/members/{id}", s.roles(adminOnly, s.handleGetMember))
	mux.HandleFunc("PATCH /api/v1/members/{id}", s.roles(adminOnly, s.handleUpdateMember))
	mux.HandleFunc("DELETE /api/v1/members/{id}", s.roles(adminOnly, s.forgettingMembers(s.handleEraseMember)))
	mux.HandleFunc("GET /api/v1/members/{id}/export", s.roles(adminOnly, s.handleExportMember))
	mux.HandleFunc("POST /api/v1/members/{id}/revoke-links", s.roles(adminOnly, s.forgettingMembers(s.handleRevokeMemberLinks)))

	// Networks.
	mux.HandleFunc("POST /api/v1/networks", s.roles(organizers, s.handleCreateNetwork))
	mux.HandleFunc("GET /api/v1/networks", s.roles(organizers, s.handleListNetworks))
	mux.HandleFunc("GET /api/v1/networks/{id}", s.roles(organizers, s.handleGetNetwork))
	mux.HandleFunc("PATCH /api/v1/networks/{id}", s.roles(organizers, s.handleUpdateNetwork))
	mux.HandleFunc("POST /api/v1/networks/{id}/close", s.roles(organizers, s.handleCloseNetwork))
	mux.HandleFunc("GET /api/v1/networks/{id}/members", s.roles(organizers, s.handleNetworkMembers))
	mux.HandleFunc("PUT /api/v1/networks/{id}/members/{member_id}", s.roles(organizers, s.handleSetMembership))
	mux.HandleFunc("POST /api/v1/networks/{id}/invitations", s.roles(organizers, s.handleInvite))
	mux.HandleFunc("POST /api/v1/networks/{id}/meetings", s.roles(organizers, s.handleCreateSeries))
	mux.HandleFunc("GET /api/v1/networks/{id}/meetings", s.roles(organizers, s.handleListSeries))
	mux.HandleFunc("POST /api/v1/networks/{id}/support", s.roles(organizers, s.handleSupportRequest))
	mux.HandleFunc("GET /api/v1/networks/{id}/support", s.roles(organizers, s.handleListSupport))
	mux.HandleFunc("POST /api/v1/networks/{id}/organizer-link", s.roles(adminOnly, s.handleOrganizerLink))

	// Meetings.
	mux.HandleFunc("GET /api/v1/meetings/{id}", s.roles(organizers, s.handleGetSeries))
	mux.HandleFunc("PATCH /api/v1/meetings/{id}", s.roles(organizers, s.handleUpdateSeries))
	mux.HandleFunc("POST /api/v1/meetings/{id}/split", s.roles(organizers, s.handleSplitSeries))
	mux.HandleFunc("POST /api/v1/meetings/{id}/cancel-occurrence", s.roles(organizers, s.handleChangeOccurrence(true)))
	mux.HandleFunc("POST /api/v1/meetings/{id}/move-occurrence", s.roles(organizers, s.handleChangeOccurrence(false)))
	mux.HandleFunc("GET /api/v1/meetings/{id}/occurrences", s.roles(organizers, s.handleOccurrences))
	mux.HandleFunc("POST /api/v1/meetings/{id}/answers", s.roles(organizers, s.handleRecordAnswer))
	s.featureRoutes(mux)
	s.webhookRoutes(mux)

	// The board and the admin.
	mux.HandleFunc("GET /api/v1/support", s.roles(adminOnly, s.handleAllSupport))
	mux.HandleFunc("POST /api/v1/support/{id}/decision", s.roles(adminOnly, s.handleDecideSupport))
	mux.HandleFunc("POST /api/v1/tokens", s.roles(adminOnly, s.handleCreateToken))
	mux.HandleFunc("DELETE /api/v1/tokens/{id}", s.roles(adminOnly, s.handleRevokeToken))
	mux.HandleFunc("GET /api/v1/mail", s.roles(organizers, s.handleMail))
	mux.HandleFunc("GET /api/v1/inbound", s.roles(adminOnly, s.handleInbound))
	mux.HandleFunc("GET /api/v1/dlq", s.roles(adminOnly, s.handleDeadLetters))
	mux.HandleFunc("POST /api/v1/dlq/{seq}/retry", s.roles(adminOnly, s.handleRetryDeadLetter))

	// Pages members open from their mail, public pages and feeds. The
	// feed routes are answered before the mux (serveFeedFast, with the
	// same patterns) when the path is clean; these registrations serve
	// the rest.
	mux.HandleFunc("GET /rsvp/{token}", s.public(s.handleRSVPPage))
	mux.HandleFunc("POST /rsvp/{token}", s.public(s.handleRSVPPost))
	mux.HandleFunc("GET /rsvp/{token}/invite.ics", s.public(s.handleRSVPICS))
	mux.HandleFunc("GET /unsubscribe/{token}", s.public(s.handleUnsubscribePage))
	mux.HandleFunc("POST /unsubscribe/{token}", s.public(s.handleUnsubscribePost))
	mux.HandleFunc("GET /n/{slug}", s.public(s.handleNetworkPage))
	mux.HandleFunc("GET /organize/{token}", s.public(s.handleOrganizerView))
	mux.HandleFunc("GET /organize/{token}/close", s.public(s.handleOrganizerClosePage))
	mux.HandleFunc("POST /organize/{token}/close", s.public(s.handleOrganizerClose))
	mux.HandleFunc("POST /organize/{token}/invite", s.public(s.handleOrganizerInvite))
	mux.HandleFunc("POST /organize/{token}/cancel", s.public(s.handleOrganizerCancel))
	mux.HandleFunc("POST /organize/{token}/move", s.public(s.handleOrganizerMove))
	mux.HandleFunc("POST /organize/{token}/support", s.public(s.handleOrganizerSupport))
	mux.HandleFunc("GET /feeds/{file}", s.public(s.handleNetworkFeed))
	mux.HandleFunc("GET /feeds/p/{token}/{file}", s.public(s.handlePrivateFeed))
	mux.HandleFunc("GET /feeds/m/{file}", s.public(s.handleMemberFeed))
	mux.HandleFunc("GET /static/site.css", s.handleStatic)
	if s.MailDir != "" {
		mux.HandleFunc("GET /mail", s.public(s.handleMailList))
		mux.HandleFunc("GET /mail/{name}", s.public(s.handleMailFile))
	}
	mux.HandleFunc("GET /{$}", s.handleHome)
	return s.recoverer(s.observe(mux))
}

// handleHome points to what there is.
func (s *Server) handleHome(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	body := "Nätverk\n\nAPI: /api/v1 (Authorization: Bearer <token>)\nHealth: /healthz, /readyz\n"
	if s.MailDir != "" {
		body += "Outgoing mail (embedded mode): /mail\n"
	}
	w.Write([]byte(body))
}
