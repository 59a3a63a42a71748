package candour_test

import data.candour

caseworker(agency) := {"iss": "test", "sub": "cw-1", "agency": agency, "roles": ["caseworker"]}

test_caseworker_creates_for_own_agency if {
	candour.allow with input as {
		"principal": caseworker("victim-support-north"),
		"action": "feedback.create",
		"resource": {"agency": "victim-support-north"},
	}
}

test_caseworker_cannot_create_for_unknown_agency if {
	not candour.allow with input as {
		"principal": caseworker("nowhere"),
		"action": "feedback.create",
		"resource": {"agency": "nowhere"},
	}
}

test_caseworker_reads_own_record_for_case_management if {
	d := candour.decision with input as {
		"principal": caseworker("police-north"),
		"action": "feedback.read",
		"purpose": "case_management",
		"resource": {"agency": "police-north"},
	}
	d.allow
	d.obligations.redaction == "none"
}

test_caseworker_cannot_read_other_agency if {
	not candour.allow with input as {
		"principal": caseworker("police-north"),
		"action": "feedback.read",
		"purpose": "case_management",
		"resource": {"agency": "victim-support-north"},
	}
}

test_caseworker_needs_case_management_purpose if {
	not candour.allow with input as {
		"principal": caseworker("police-north"),
		"action": "feedback.read",
		"purpose": "research",
		"resource": {"agency": "police-north"},
	}
}

test_analyst_cannot_read_records if {
	d := candour.decision with input as {
		"principal": {"sub": "a", "agency": "police-north", "roles": ["analyst"]},
		"action": "feedback.read",
		"purpose": "case_management",
		"resource": {"agency": "police-north"},
	}
	not d.allow
	d.reasons == ["no rule allows this request"]
}

test_auditor_reads_audit_log_only if {
	auditor := {"sub": "au", "agency": "oversight", "roles": ["auditor"]}
	candour.allow with input as {"principal": auditor, "action": "audit.read"}
	not candour.allow with input as {"principal": auditor, "action": "feedback.read", "resource": {"agency": "oversight"}}
}

test_unknown_action_denied if {
	not candour.allow with input as {"principal": caseworker("police-north"), "action": "feedback.delete"}
}
