package candour_test

import data.candour

now := "2026-11-24T12:00:00Z"

p(role, agency) := {"iss": "test", "sub": sprintf("%s-1", [role]), "agency": agency, "roles": [role]}

given := {"purposes": ["service_improvement", "inter_agency_insight"], "share_with": ["police-north"]}

withdrawn := object.union(given, {"withdrawn_at": "2026-11-01T00:00:00Z"})

expired := object.union(given, {"expires_at": "2026-11-01T00:00:00Z"})

record(agency, consent) := {"id": "r1", "agency": agency, "sensitivity": "standard", "consent": consent}

decide(req) := d if {
	d := candour.decision with input as req
}

read(principal, purpose, resource) := decide({
	"principal": principal, "action": "feedback.read", "purpose": purpose,
	"resource": resource, "now": now,
})

create(principal, service) := decide({
	"principal": principal, "action": "feedback.create",
	"resource": {"agency": principal.agency, "service": service}, "now": now,
})

ask(action, principal, purpose) := decide({"principal": principal, "action": action, "purpose": purpose, "now": now})

erase(agency) := decide({
	"principal": p("admin", "police-north"), "action": "subject.erase",
	"resource": {"agency": agency}, "now": now,
})

# ---------------------------------------------------------------- recording

test_caseworker_records_own_service if {
	d := create(p("caseworker", "victim-support-north"), "victim-support/initial-contact")
	d.allow
	d.scope == {"grants": []}
}

test_caseworker_cannot_record_another_agencys_service if {
	d := create(p("caseworker", "police-north"), "victim-support/initial-contact")
	not d.allow
	"the service is not in your agency's service catalogue" in d.reasons
}

test_caseworker_cannot_record_unknown_service if {
	not create(p("caseworker", "police-north"), "police/made-up").allow
}

test_unknown_agency_cannot_record if {
	d := create(p("caseworker", "nowhere-north"), "victim-support/initial-contact")
	not d.allow
	"your agency is not one the policy knows" in d.reasons
}

test_only_caseworkers_record if {
	every role in ["analyst", "auditor", "admin"] {
		d := create(p(role, "victim-support-north"), "victim-support/initial-contact")
		not d.allow
		"only caseworkers record feedback" in d.reasons
	}
}

# ---------------------------------------------------------- reading records

test_caseworker_reads_own_record if {
	d := read(p("caseworker", "police-north"), "case_management", record("police-north", given))
	d.allow
	d.reasons == {"caseworker reads their own agency's record for case management"}
	d.obligations == {"redaction": "none", "fields": ["comments", "equality", "ratings"]}
}

test_caseworker_reads_own_record_after_expiry if {
	read(p("caseworker", "police-north"), "case_management", record("police-north", expired)).allow
}

test_caseworker_never_reads_withdrawn if {
	not read(p("caseworker", "police-north"), "case_management", record("police-north", withdrawn)).allow
}

test_caseworker_never_reads_other_agency if {
	not read(p("caseworker", "police-north"), "case_management", record("victim-support-north", given)).allow
}

test_caseworker_needs_case_management if {
	every purpose in ["service_improvement", "research", "audit", "inter_agency_insight", "equality_monitoring"] {
		not read(p("caseworker", "police-north"), purpose, record("police-north", given)).allow
	}
}

test_admin_read_is_flagged if {
	d := read(p("admin", "police-north"), "case_management", record("police-north", given))
	d.allow
	d.obligations == {"redaction": "none", "fields": ["comments", "equality", "ratings"], "audit_flag": "admin_content_access"}
}

test_admin_cannot_read_other_agency_or_withdrawn if {
	not read(p("admin", "police-north"), "case_management", record("victim-support-north", given)).allow
	not read(p("admin", "police-north"), "case_management", record("police-north", withdrawn)).allow
	not read(p("admin", "police-north"), "research", record("police-north", given)).allow
}

test_analysts_and_auditors_never_read_records if {
	every role in ["analyst", "auditor"] {
		every purpose in ["case_management", "service_improvement", "audit"] {
			d := read(p(role, "police-north"), purpose, record("police-north", given))
			not d.allow
			d.reasons == {"no rule allows this request"}
		}
	}
}

withdraw(principal, agency) := decide({
	"principal": principal, "action": "feedback.withdraw",
	"resource": record(agency, given), "now": now,
})

test_caseworker_withdraws_own_record_only if {
	withdraw(p("caseworker", "police-north"), "police-north").allow
	not withdraw(p("caseworker", "police-north"), "victim-support-north").allow
	not withdraw(p("analyst", "police-north"), "police-north").allow
}

list(principal, purpose, agency) := decide({
	"principal": principal, "action": "feedback.list", "purpose": purpose,
	"resource": {"agency": agency}, "now": now,
})

test_caseworker_lists_own_agency_for_case_management_only if {
	list(p("caseworker", "police-north"), "case_management", "police-north").allow
	not list(p("caseworker", "police-north"), "case_management", "victim-support-north").allow
	not list(p("caseworker", "police-north"), "service_improvement", "police-north").allow
	not list(p("caseworker", "nowhere-north"), "case_management", "nowhere-north").allow
}

test_only_caseworkers_list if {
	every role in ["analyst", "auditor", "admin"] {
		not list(p(role, "police-north"), "case_management", "police-north").allow
	}
}

# ---------------------------------------------------------------- the log

test_auditor_reads_audit_log if {
	ask("audit.read", p("auditor", "victim-support-north"), "audit").allow
}

test_auditor_reads_own_agencys_part_of_the_log if {
	d := ask("audit.read", p("auditor", "police-north"), "audit")
	d.allow
	d.obligations.audit_agencies == ["police-north"]
}

test_oversight_auditor_reads_the_whole_log if {
	d := ask("audit.read", p("auditor", "north-inspectorate"), "audit")
	d.allow
	d.obligations.audit_agencies == ["*"]
}

test_unknown_agencys_auditor_reads_nothing if {
	not ask("audit.read", p("auditor", "nowhere-north"), "audit").allow
}

test_auditor_needs_audit_purpose if {
	not ask("audit.read", p("auditor", "victim-support-north"), "research").allow
}

test_only_auditors_read_the_log if {
	every role in ["caseworker", "analyst", "admin"] {
		not ask("audit.read", p(role, "victim-support-north"), "audit").allow
	}
}

test_auditors_and_admins_issue_checkpoints if {
	ask("audit.checkpoint", p("auditor", "victim-support-north"), "audit").allow
	ask("audit.checkpoint", p("admin", "police-north"), "audit").allow
	not ask("audit.checkpoint", p("admin", "police-north"), "case_management").allow
	every role in ["caseworker", "analyst"] {
		not ask("audit.checkpoint", p(role, "police-north"), "audit").allow
	}
}

# ------------------------------------------------------- keys and erasure

test_admin_manages_keys if {
	ask("keys.rotate", p("admin", "police-north"), "").allow
	not ask("keys.rotate", p("caseworker", "police-north"), "").allow
}

test_admin_erases_own_agency_only if {
	erase("police-north").allow
	not erase("victim-support-north").allow
}

# ------------------------------------------------------------ the lifecycle

lifecycle(action, principal, agency) := decide({
	"principal": principal, "action": action, "resource": {"agency": agency}, "now": now,
})

test_dpo_serves_rights_in_own_agency_only if {
	every action in ["subject.access", "subject.erase_preview", "retention.read", "hold.place", "hold.release"] {
		lifecycle(action, p("admin", "police-north"), "police-north").allow
		not lifecycle(action, p("admin", "police-north"), "victim-support-north").allow
		every role in ["caseworker", "analyst", "auditor"] {
			not lifecycle(action, p(role, "police-north"), "police-north").allow
		}
	}
}

correct(principal, purpose, resource) := decide({
	"principal": principal, "action": "feedback.correct", "purpose": purpose,
	"resource": resource, "now": now,
})

test_caseworker_corrects_own_live_record_only if {
	correct(p("caseworker", "police-north"), "case_management", record("police-north", given)).allow
	correct(p("caseworker", "police-north"), "case_management", record("police-north", expired)).allow
	not correct(p("caseworker", "police-north"), "case_management", record("police-north", withdrawn)).allow
	not correct(p("caseworker", "police-north"), "case_management", record("victim-support-north", given)).allow
	not correct(p("caseworker", "police-north"), "service_improvement", record("police-north", given)).allow
	not correct(p("admin", "police-north"), "case_management", record("police-north", given)).allow
}

# ----------------------------------------------------------------- insight

grant_for(d, agency) := g if {
	some g in d.scope.grants
	g.agency == agency
}

test_partner_analyst_sees_agreement_scope if {
	d := ask("insight.summary", p("analyst", "police-north"), "service_improvement")
	d.allow
	count(d.scope.grants) == 2
	own := grant_for(d, "police-north")
	own.sensitivities == ["safeguarding", "special_category", "standard"]
	not own.shared_with
	partner := grant_for(d, "victim-support-north")
	partner.sensitivities == ["standard"]
	partner.shared_with == "police-north"
	partner.purposes == ["service_improvement"]
	d.obligations == {"redaction": "redacted", "min_cell_size": 10, "fields": ["comments", "ratings"]}
}

test_purpose_outside_agreement_gives_own_agency_only if {
	d := ask("insight.summary", p("analyst", "police-north"), "research")
	d.allow
	[g.agency | some g in d.scope.grants] == ["police-north"]
	d.obligations.fields == ["comments", "ratings"]
}

test_equality_bands_only_for_equality_monitoring if {
	d := ask("insight.summary", p("analyst", "police-north"), "equality_monitoring")
	d.allow
	d.obligations.fields == ["comments", "equality", "ratings"]
	grant_for(d, "police-north").purposes == ["equality_monitoring"]
	every purpose in ["service_improvement", "inter_agency_insight", "research"] {
		d2 := ask("insight.summary", p("analyst", "victim-support-north"), purpose)
		d2.allow
		d2.obligations.fields == ["comments", "ratings"]
	}
}

test_partner_equality_bands_need_the_agreement if {
	monitoring := object.union(data.agreements[0], {"purposes": ["equality_monitoring"]})
	d := ask("insight.summary", p("analyst", "police-north"), "equality_monitoring") with data.agreements as [monitoring]
	grant_for(d, "victim-support-north").fields == ["comments", "ratings"]
	d.obligations.fields == ["comments", "ratings"]
	sharing := object.union(monitoring, {"data_items": ["equality", "ratings"]})
	d2 := ask("insight.summary", p("analyst", "police-north"), "equality_monitoring") with data.agreements as [sharing]
	grant_for(d2, "victim-support-north").fields == ["equality", "ratings"]
	d2.obligations.fields == ["equality", "ratings"]
}

test_agreement_not_in_force_gives_own_agency_only if {
	every at in ["2025-12-31T23:59:59Z", "2028-01-01T00:00:00Z"] {
		d := decide({
			"principal": p("analyst", "police-north"), "action": "insight.summary",
			"purpose": "service_improvement", "now": at,
		})
		[g.agency | some g in d.scope.grants] == ["police-north"]
	}
}

test_owner_analyst_sees_only_own_agency if {
	d := ask("insight.summary", p("analyst", "victim-support-north"), "inter_agency_insight")
	[g.agency | some g in d.scope.grants] == ["victim-support-north"]
}

test_special_category_needs_explicit_purpose if {
	agreements := [object.union(data.agreements[0], {"special_category_purposes": ["service_improvement"]})]
	d := ask("insight.summary", p("analyst", "police-north"), "service_improvement") with data.agreements as agreements
	grant_for(d, "victim-support-north").sensitivities == ["special_category", "standard"]
	d2 := ask("insight.summary", p("analyst", "police-north"), "inter_agency_insight") with data.agreements as agreements
	grant_for(d2, "victim-support-north").sensitivities == ["standard"]
}

test_largest_min_cell_size_wins if {
	agreements := [object.union(data.agreements[0], {"min_cell_size": 25})]
	d := ask("insight.summary", p("analyst", "police-north"), "service_improvement") with data.agreements as agreements
	d.obligations.min_cell_size == 25
}

test_agreement_for_other_partners_gives_them_nothing if {
	others := object.union(data.agreements[0], {"partners": ["housing-north"], "min_cell_size": 25})
	d := ask("insight.summary", p("analyst", "police-north"), "service_improvement") with data.agreements as [others]
	[g.agency | some g in d.scope.grants] == ["police-north"]
	d.obligations.min_cell_size == 10
	d2 := ask("insight.summary", p("analyst", "housing-north"), "service_improvement") with data.agreements as [others]
	grant_for(d2, "victim-support-north").shared_with == "housing-north"
	d2.obligations.min_cell_size == 25
}

test_analyst_needs_analyst_purpose_and_known_agency if {
	not ask("insight.summary", p("analyst", "police-north"), "case_management").allow
	not ask("insight.summary", p("analyst", "police-north"), "audit").allow
	not ask("insight.summary", p("analyst", "nowhere-north"), "service_improvement").allow
}

test_only_analysts_see_insight if {
	every role in ["caseworker", "auditor", "admin"] {
		d := ask("insight.summary", p(role, "police-north"), "service_improvement")
		not d.allow
		d.scope == {"grants": []}
	}
}

test_unknown_action_denied if {
	not ask("feedback.delete", p("admin", "police-north"), "case_management").allow
}

test_export_is_encrypted_to_the_agency_key if {
	d := ask("insight.export", p("analyst", "police-north"), "service_improvement")
	d.allow
	d.obligations.export_recipient == data.agencies["police-north"].age_recipient
	startswith(d.obligations.export_recipient, "age1")
}

test_export_needs_an_agency_key if {
	agencies := object.union(object.remove(data.agencies, ["police-north"]), {"police-north": {"name": "North Police", "kind": "police"}})
	d := ask("insight.export", p("analyst", "police-north"), "service_improvement") with data.agencies as agencies
	not d.allow
	"your agency has no export key (age_recipient) in the policy data" in d.reasons
}

# ------------------------------------------------------------- one role only

test_a_principal_with_two_roles_is_refused if {
	both := object.union(p("caseworker", "victim-support-north"), {"roles": ["caseworker", "auditor"]})
	d := read(both, "case_management", record("victim-support-north", given))
	not d.allow
	"a request acts in one role: name it in the Candour-Role header" in d.reasons
	not ask("audit.read", both, "audit").allow
}

test_a_principal_with_no_role_is_refused if {
	none := object.union(p("caseworker", "victim-support-north"), {"roles": []})
	not read(none, "case_management", record("victim-support-north", given)).allow
}

test_the_same_principal_in_one_role_is_allowed if {
	read(p("caseworker", "victim-support-north"), "case_management", record("victim-support-north", given)).allow
	ask("audit.read", p("auditor", "victim-support-north"), "audit").allow
}

# ------------------------------------------------------ the citizen channel

self_given := {"purposes": ["service_improvement"], "method": "self"}

own(action, principal, agency, consent) := decide({
	"principal": principal, "action": action,
	"resource": {"id": "r1", "agency": agency, "service": "victim-support/initial-contact", "sensitivity": "standard", "consent": consent},
	"now": now,
})

test_person_gives_own_feedback_for_the_invitations_agency if {
	own("feedback.create", p("person", "victim-support-north"), "victim-support-north", self_given).allow
}

test_person_feedback_needs_own_consent if {
	d := own("feedback.create", p("person", "victim-support-north"), "victim-support-north", given)
	not d.allow
	"feedback given through an invitation carries the person's own consent" in d.reasons
}

test_person_cannot_give_feedback_on_another_agencys_service if {
	not own("feedback.create", p("person", "police-north"), "police-north", self_given).allow
}

test_only_caseworkers_and_the_person_create if {
	# (the method "self" is refused in Go for anyone but the invitation pages)
	not own("feedback.create", p("admin", "victim-support-north"), "victim-support-north", self_given).allow
	not own("feedback.create", p("analyst", "victim-support-north"), "victim-support-north", self_given).allow
}

test_person_withdraws_own_feedback_only if {
	own("feedback.withdraw", p("person", "victim-support-north"), "victim-support-north", self_given).allow
	not own("feedback.withdraw", p("person", "victim-support-north"), "victim-support-north", given).allow
	not own("feedback.withdraw", p("person", "police-north"), "victim-support-north", self_given).allow
}

test_person_reads_nothing if {
	not own("feedback.read", p("person", "victim-support-north"), "victim-support-north", self_given).allow
	not ask("audit.read", p("person", "victim-support-north"), "audit").allow
	not ask("insight.summary", p("person", "victim-support-north"), "service_improvement").allow
}

test_caseworker_does_not_open_or_correct_what_the_person_gave if {
	r := {"id": "r1", "agency": "victim-support-north", "sensitivity": "standard", "consent": self_given}
	d := read(p("caseworker", "victim-support-north"), "case_management", r)
	not d.allow
	"the person gave this feedback themselves: caseworkers do not open or correct it" in d.reasons
	not decide({"principal": p("caseworker", "victim-support-north"), "action": "feedback.correct",
		"purpose": "case_management", "resource": r, "now": now}).allow
	own("feedback.withdraw", p("caseworker", "victim-support-north"), "victim-support-north", self_given).allow
}

test_caseworker_and_admin_invite_for_own_services if {
	own("invitation.create", p("caseworker", "victim-support-north"), "victim-support-north", null).allow
	own("invitation.create", p("admin", "victim-support-north"), "victim-support-north", null).allow
	not own("invitation.create", p("analyst", "victim-support-north"), "victim-support-north", null).allow
	not own("invitation.create", p("caseworker", "police-north"), "police-north", null).allow
	not own("invitation.create", p("person", "victim-support-north"), "victim-support-north", null).allow
}
