"""The names of the statistics' own groups and measures, marked for translation."""

from flask_babel import lazy_gettext as _l

AGE_BANDS = {
    "minor": _l("Minors (under 18 when referred)"),
    "adult": _l("Adults"),
    "unknown": _l("Age not known"),
}
REPEAT = {"repeat": _l("Repeat referral (within 12 months)"), "first": _l("First referral")}
ENDINGS = {
    "closed": _l("Closed on the panel's decision"),
    "no_further_action": _l("Closed: no further action"),
    "transferred": _l("Closed, handed over to a service"),
    "declined": _l("Referral declined"),
}
POST_EXIT = {
    "on_time": _l("Reviewed on time"),
    "late": _l("Reviewed late"),
    "not_done": _l("Not reviewed"),
    "pending": _l("Due, next sitting to come"),
}
ACTION_STATES = {
    "done_on_time": _l("Done on time"),
    "done_late": _l("Done late"),
    "not_possible": _l("Not possible"),
    "not_done": _l("Not done"),
    "cancelled": _l("Cancelled"),
    "overdue": _l("Overdue now"),
    "open": _l("Open, not yet due"),
}
REPORT_STATES = {
    "on_time": _l("On time"),
    "late": _l("Late"),
    "missing": _l("Missing"),
}
ATTENDANCE = {
    "present": _l("Present"),
    "apologies": _l("Apologies"),
    "absent": _l("Absent"),
    "invited": _l("Not recorded"),
}
MEETINGS = {"held": _l("Meetings held")}
DURATIONS = {
    "referral_to_first_discussion": _l("From referral to the first discussion"),
    "opening_to_closure": _l("From opening to closure"),
}
SECTIONS = {
    "referrals": _l("Referrals"),
    "timeliness": _l("How fast the panel acted, and the cases still open"),
    "endings": _l("Closures and post-exit reviews"),
    "actions": _l("Actions and progress reports"),
    "meetings": _l("Meetings"),
}
TITLES = {
    "referrals_by_month": _l("Referrals per month"),
    "referrals_by_agency": _l("Referrals by referring agency"),
    "referrals_by_source": _l("Referrals by where the concern came from"),
    "referrals_by_concern": _l("Referrals by concern"),
    "referrals_by_age": _l("Minors and adults"),
    "referrals_repeat": _l("Repeat referrals"),
    "open_at_end": _l("Cases open at the end of the period, by status and risk"),
    "endings": _l("How cases ended"),
    "post_exit_reviews": _l("Post-exit reviews"),
    "actions": _l("Actions agreed in the period, by owning agency"),
    "reports": _l("Progress reports for the period's meetings"),
    "rag_by_month": _l("Progress reports by RAG status, per month"),
    "meetings": _l("Meetings"),
    "items": _l("Case items on the agendas of meetings held"),
    "attendance": _l("Attendance by agency"),
    "durations": _l("How long it took (days)"),
}
