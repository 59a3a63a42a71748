# Candour's access policy. One query per request: data.candour.decision.
#
# Input:  principal {iss, sub, agency, roles}, action, purpose,
#         resource {id, agency, service, sensitivity, consent}, now (RFC 3339).
# Output: allow, reasons, obligations {redaction, min_cell_size, fields,
#         audit_flag}, scope {grants} for list and aggregate queries.
#
# Default deny: a request is allowed only when a rule below grants it.
# Policy data (roles, agencies, services, agreements, defaults) is data.json
# beside this file.
package candour

default allow := false

# A request acts in exactly one role: the API narrows a token with several
# roles to the one the request names (the Candour-Role header), so that no
# request reads content as a caseworker and the log as an auditor at once.
allow if {
	count(grants) > 0
	count(input.principal.roles) == 1
}

why_not contains "a request acts in one role: name it in the Candour-Role header" if {
	count(input.principal.roles) != 1
}

# The caller's agency. The policy reads input.principal field by field (its
# agency and roles), never as a whole: the engine specialises the policy to
# each caller from exactly the fields it reads (policy/specialise.go).
agency := input.principal.agency

now_ns := time.parse_rfc3339_ns(input.now)

# The caller's roles as a set, so that a role check is one lookup.
roles := {r | some r in input.principal.roles}

own_record if {
	input.resource.agency == agency
	data.agencies[agency]
}


# ---------------------------------------------------------------- recording

grants contains "caseworker records feedback on a service of their own agency" if {
	input.action == "feedback.create"
	roles.caseworker
	own_record
	data.services[input.resource.service].agency == agency
}

why_not contains "only caseworkers record feedback" if {
	input.action == "feedback.create"
	not roles.caseworker
	not roles.person
}

# ------------------------------------------------------ the citizen channel

# A person gives their own feedback through an invitation: the invitation
# pages act for its agency in the role person (never taken from a token),
# and the consent is the person's own.
self_given if input.resource.consent.method == "self"

grants contains "the person gives their own feedback through an invitation of the agency" if {
	input.action == "feedback.create"
	roles.person
	own_record
	data.services[input.resource.service].agency == agency
	self_given
}

why_not contains "feedback given through an invitation carries the person's own consent" if {
	input.action == "feedback.create"
	roles.person
	not self_given
}

# The person withdraws their own feedback with its receipt code.
grants contains "the person withdraws their own feedback with its receipt" if {
	input.action == "feedback.withdraw"
	roles.person
	own_record
	self_given
}

# Caseworkers invite a person to give feedback on a service of their own
# agency; administrators too (a batch, to hand out on cards).
grants contains "caseworker or administrator invites feedback on a service of their own agency" if {
	input.action == "invitation.create"
	some role in ["caseworker", "admin"]
	roles[role]
	own_record
	data.services[input.resource.service].agency == agency
}

grants contains "caseworker or administrator lists their agency's invitations" if {
	input.action == "invitation.list"
	some role in ["caseworker", "admin"]
	roles[role]
	own_record
}

why_not contains "your agency is not one the policy knows" if {
	input.action == "feedback.create"
	not data.agencies[agency]
}

why_not contains "the service is not in your agency's service catalogue" if {
	input.action == "feedback.create"
	not catalogued
}

# A rule of its own, so that a record with no service is "not catalogued"
# rather than left out of the reasons.
catalogued if data.services[input.resource.service].agency == agency

# ---------------------------------------------------------- reading records

# Caseworkers read their own agency's records for case management; never
# another agency's, and never once consent is withdrawn. Expiry limits the
# purposes the person agreed to, not the agency's own case record.
grants contains "caseworker reads their own agency's record for case management" if {
	input.action == "feedback.read"
	roles.caseworker
	input.purpose in data.roles.caseworker.purposes
	own_record
	not input.resource.consent.withdrawn_at
	not self_given
}

# What a person gave through an invitation, they gave without a caseworker:
# caseworkers do not open it or correct it (the person withdraws it with
# their receipt; the data protection officer serves their rights).
why_not contains "the person gave this feedback themselves: caseworkers do not open or correct it" if {
	input.action in {"feedback.read", "feedback.correct"}
	roles.caseworker
	self_given
}

# Caseworkers find their own agency's records for case management: the list
# shows analytical dimensions only, never content, and withdrawn records
# too (marked), so that a caseworker can tell the person it is done.
grants contains "caseworker lists their own agency's records for case management" if {
	input.action == "feedback.list"
	roles.caseworker
	input.purpose in data.roles.caseworker.purposes
	own_record
}

# Administrators may read their own agency's content, and every such read is
# flagged in the audit log.
grants contains "administrator reads their own agency's record; flagged in the audit log" if {
	input.action == "feedback.read"
	roles.admin
	input.purpose in data.roles.admin.purposes
	own_record
	not input.resource.consent.withdrawn_at
}

# Caseworkers record a withdrawal of consent for their own agency's records.
grants contains "caseworker records a withdrawal of consent for their own agency's record" if {
	input.action == "feedback.withdraw"
	roles.caseworker
	own_record
}

# ---------------------------------------------------------------- the log

# An agency's auditor reads the entries of their own agency's staff and
# about their own agency's records (whoever the actor); an auditor of an
# oversight body (an inspectorate: "oversight": true in the data) reads all.
# The scope travels as the audit_agencies obligation; the store applies it.
grants contains "auditor reads the audit log: their own agency's staff and records, or all for an oversight body" if {
	input.action == "audit.read"
	roles.auditor
	input.purpose in data.roles.auditor.purposes
	data.agencies[agency]
}

oversight if data.agencies[agency].oversight == true

# Auditors and administrators issue a signed checkpoint of the log.
grants contains "auditor or administrator issues an audit checkpoint" if {
	input.action == "audit.checkpoint"
	input.purpose == "audit"
	some role in ["auditor", "admin"]
	roles[role]
}

# ------------------------------------------------------- keys and erasure

grants contains "administrator manages keys" if {
	input.action == "keys.rotate"
	roles.admin
}

grants contains "administrator erases a subject's records in their own agency" if {
	input.action == "subject.erase"
	roles.admin
	own_record
}

# ------------------------------------------------------------ the lifecycle

# The data protection officer (the admin role) answers subject access
# requests, previews erasures, reads the retention overview and places or
# releases legal holds, for their own agency only.
grants contains "data protection officer serves a subject's rights and retention in their own agency" if {
	input.action in {"subject.access", "subject.erase_preview", "retention.read", "hold.place", "hold.release"}
	roles.admin
	own_record
}

# Caseworkers correct their own agency's records while consent stands: a
# correction needs the person, and a withdrawn record has nothing left to
# correct.
grants contains "caseworker corrects their own agency's record" if {
	input.action == "feedback.correct"
	roles.caseworker
	input.purpose in data.roles.caseworker.purposes
	own_record
	not input.resource.consent.withdrawn_at
	not self_given
}

# ----------------------------------------------------------------- insight

# Indexed on input.action, so other requests never evaluate the insight rules.
insight if input.action == "insight.summary"

insight if input.action == "insight.comments"

insight if input.action == "insight.export"

analyst_asks if {
	insight
	roles.analyst
	input.purpose in data.roles.analyst.purposes
	data.agencies[agency]
}

# The agreements in force that name the caller's agency as a partner. The
# partner is checked first: an agreement that does not name the caller costs
# one lookup, not two parsed dates.
partner_agreements contains a if {
	some a in data.agreements
	agency in a.partners
	time.parse_rfc3339_ns(a.start) <= now_ns
	now_ns < time.parse_rfc3339_ns(a.expires)
}

# An analyst sees their own agency's records whose consent covers the purpose,
# of any sensitivity: safeguarding records stay inside the owning agency.
scope_grants contains g if {
	analyst_asks
	g := {
		"agency": agency,
		"purposes": [input.purpose],
		"sensitivities": ["safeguarding", "special_category", "standard"],
		"fields": ["comments", "equality", "ratings"],
	}
}

# A partner's analyst sees the owner's records only under an agreement in
# force that names the purpose, only where the person's consent covers the
# purpose and names the partner, never safeguarding records, and special
# category records only for a purpose the agreement names for them.
scope_grants contains g if {
	analyst_asks
	some a in partner_agreements
	input.purpose in a.purposes
	g := {
		"agency": a.owner,
		"purposes": [input.purpose],
		"sensitivities": partner_sensitivities(a),
		"shared_with": agency,
		"fields": sort(a.data_items),
	}
}

partner_sensitivities(a) := ["special_category", "standard"] if {
	input.purpose in a.special_category_purposes
} else := ["standard"]

grants contains "analyst sees redacted insight within the scope of consent and agreements" if {
	insight
	count(scope_grants) > 0
	exportable
}

# An export needs a key to encrypt it to; other insight needs nothing more.
exportable if input.action != "insight.export"

exportable if data.agencies[agency].age_recipient

# The smallest cell size: the default, or more where an agreement in force
# asks for more. (Rules rather than comprehensions, here and for the fields
# below, so that partial evaluation folds them for each caller.)
min_cell_size := max(cell_sizes)

cell_sizes contains data.defaults.min_cell_size

cell_sizes contains a.min_cell_size if some a in partner_agreements

# ------------------------------------------------------------- the answer

default obligations := {}

obligations := read_obligations if {
	input.action == "feedback.read"
	allow
}

# An administrator's read of content is flagged in the audit log.
read_obligations := {"redaction": "none", "fields": ["comments", "equality", "ratings"], "audit_flag": "admin_content_access"} if {
	roles.admin
} else := {"redaction": "none", "fields": ["comments", "equality", "ratings"]}

obligations := {"audit_agencies": audit_agencies} if {
	input.action == "audit.read"
	allow
}

audit_agencies := ["*"] if oversight else := [agency]

obligations := {"redaction": "redacted", "min_cell_size": min_cell_size, "fields": shown_everywhere} if {
	insight
	input.action != "insight.export"
	allow
}

# An export is encrypted to the requesting agency's age key, from the policy
# data.
obligations := {
	"redaction": "redacted", "min_cell_size": min_cell_size, "fields": shown_everywhere,
	"export_recipient": data.agencies[agency].age_recipient,
} if {
	input.action == "insight.export"
	allow
}

why_not contains "your agency has no export key (age_recipient) in the policy data" if {
	input.action == "insight.export"
	not data.agencies[agency].age_recipient
}

# The fields every granted agency shares, of those the purpose may use.
shown_everywhere := sort(shown)

shown contains f if {
	some f in purpose_fields
	fields_everywhere[f]
}

fields_everywhere := intersection(grant_fields)

grant_fields contains {f | some f in g.fields} if some g in scope_grants

# Equality bands serve equality monitoring only; for that purpose the scope
# also holds only records whose consent covers it.
purpose_fields := ["comments", "equality", "ratings"] if {
	input.purpose == "equality_monitoring"
} else := ["comments", "ratings"]

scope := {"grants": scope_grants} if { # a set: it reaches Go as a sorted array
	insight
	allow
}

default scope := {"grants": []}

# What granted the request; or why not; or, when no rule says why, that
# nothing granted it. Three bodies that exclude one another rather than an
# else chain: partial evaluation (policy/specialise.go) folds these per
# caller, where it would keep an else chain whole.
reasons := grants if allow

reasons := why_not if {
	not allow
	count(why_not) > 0
}

reasons := {"no rule allows this request"} if {
	not allow
	count(why_not) == 0
}

decision := {
	"allow": allow,
	"reasons": reasons, # a set: it reaches Go as a sorted array
	"obligations": obligations,
	"scope": scope,
}
