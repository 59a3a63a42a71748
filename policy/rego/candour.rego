# Candour's access policy. One query per request: data.candour.decision.
#
# Input:  principal {iss, sub, agency, roles}, action, purpose,
#         resource {id, agency, sensitivity, consent}, now (RFC 3339).
# Output: allow, reasons, obligations {redaction, ...}.
#
# Default deny: a request is allowed only when some rule below grants it.
# Policy data (data.agencies, data.agreements) sits beside this file in
# data.json.
package candour

default allow := false

allow if count(grants) > 0

known_agency(id) if data.agencies[id]

is(role) if role in input.principal.roles

# Caseworkers record feedback for their own agency, and only for an agency
# the policy knows.
grants contains "caseworker records feedback for their own agency" if {
	input.action == "feedback.create"
	is("caseworker")
	known_agency(input.principal.agency)
	input.resource.agency == input.principal.agency
}

# Caseworkers read their own agency's records for case management; never
# another agency's.
grants contains "caseworker reads their own agency's record for case management" if {
	input.action == "feedback.read"
	is("caseworker")
	input.purpose == "case_management"
	known_agency(input.principal.agency)
	input.resource.agency == input.principal.agency
}

# Auditors read the audit log, and nothing else.
grants contains "auditor reads the audit log" if {
	input.action == "audit.read"
	is("auditor")
}

default obligations := {}

obligations := {"redaction": "none"} if {
	allow
	input.action == "feedback.read"
}

reasons := grants if allow

reasons := {"no rule allows this request"} if not allow

decision := {
	"allow": allow,
	"reasons": sort(reasons),
	"obligations": obligations,
}

sort(s) := [x | some x in s]
