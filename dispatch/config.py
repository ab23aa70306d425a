"""Dispatch's settings, declared with the core's :class:`~hotline.core.config.Setting` and
read by its one loader (the composition root collects :data:`SETTINGS`)."""

from __future__ import annotations

from hotline.core.config import E164, Declarations, Int, ListOf, Sender, TimeZone

DISPATCH = "Dispatch"

SETTINGS = Declarations()

DISPATCH_SMS_FROM = SETTINGS.add(
    "DISPATCH_SMS_FROM",
    Sender(),
    "",
    "Sender of the helpers' texts: a Messaging Service SID (`MG…`) or a German mobile number; replies come back to it.",
    section=DISPATCH,
)
DISPATCH_CALL_FROM = SETTINGS.add(
    "DISPATCH_CALL_FROM",
    E164(),
    "",
    "Caller ID of dispatch's calls (offer calls to helpers without a mobile, notices to requesters on a landline): a number of the account. Empty: `DISPATCH_SMS_FROM` when that is a number (a Messaging Service SID cannot place calls).",
    section=DISPATCH,
)
DISPATCH_WAVE_FACTOR = SETTINGS.add(
    "DISPATCH_WAVE_FACTOR",
    Int(min=1),
    3,
    "k: a wave asks k × the helpers still needed.",
    section=DISPATCH,
)
DISPATCH_WAVE_MINUTES = SETTINGS.add(
    "DISPATCH_WAVE_MINUTES",
    Int(min=1),
    20,
    "Minutes before the next wave when the ticket is not filled.",
    section=DISPATCH,
)
DISPATCH_CALL_RETRY_MINUTES = SETTINGS.add(
    "DISPATCH_CALL_RETRY_MINUTES",
    Int(min=1),
    10,
    "Minutes before a helper asked by phone call is called once more when the call went unanswered, was busy or ended without a key pressed (never a third time).",
    section=DISPATCH,
)
DISPATCH_MAX_WAVES = SETTINGS.add(
    "DISPATCH_MAX_WAVES",
    Int(min=1),
    3,
    "Waves per ticket (one more after each withdrawal).",
    section=DISPATCH,
)
DISPATCH_MAX_RADIUS_KM = SETTINGS.add(
    "DISPATCH_MAX_RADIUS_KM",
    Int(min=1),
    50,
    "Largest radius considered when searching.",
    section=DISPATCH,
)
DISPATCH_QUIET_START = SETTINGS.add(
    "DISPATCH_QUIET_START",
    Int(min=0, max=23),
    21,
    "Hour (local time) from which no texts go out unless the ticket is urgent.",
    section=DISPATCH,
)
DISPATCH_QUIET_END = SETTINGS.add(
    "DISPATCH_QUIET_END",
    Int(min=0, max=23),
    8,
    "Hour (local time) at which the quiet hours end (equal to the start: no quiet hours).",
    section=DISPATCH,
)
DISPATCH_TIMEZONE = SETTINGS.add(
    "DISPATCH_TIMEZONE",
    TimeZone(),
    "",
    "Zone for availability and quiet hours.",
    section=DISPATCH,
    default_doc="`DEFAULT_TIMEZONE`",
)
DISPATCH_COORDINATOR_NUMBERS = SETTINGS.add(
    "DISPATCH_COORDINATOR_NUMBERS",
    ListOf(E164()),
    [],
    "Numbers texted when a ticket is filled or a helper withdraws.",
    section=DISPATCH,
)
REQUESTER_RETENTION_DAYS = SETTINGS.add(
    "REQUESTER_RETENTION_DAYS",
    Int(min=1),
    30,
    "Days after a ticket ends (closed, or its time passed) that the requester's name, phone, address, description and recording are kept.",
    section=DISPATCH,
)
INTAKE_RETENTION_DAYS = SETTINGS.add(
    "INTAKE_RETENTION_DAYS",
    Int(min=1),
    7,
    "Days a phone intake (caller and callback number, answers) is kept after the call.",
    section=DISPATCH,
)
SIGNUP_RETENTION_HOURS = SETTINGS.add(
    "SIGNUP_RETENTION_HOURS",
    Int(min=1),
    24,
    "Hours a helper sign-up waiting for its SMS code (or confirmed, then copied to the helper) is kept.",
    section=DISPATCH,
)
OPTED_OUT_HELPER_RETENTION_DAYS = SETTINGS.add(
    "OPTED_OUT_HELPER_RETENTION_DAYS",
    Int(min=1),
    30,
    "Days a helper who texted STOP is kept (to answer START) before the profile is deleted.",
    section=DISPATCH,
)
DISPATCH_HELPER_LINK_DAYS = SETTINGS.add(
    "DISPATCH_HELPER_LINK_DAYS",
    Int(min=1),
    30,
    "Days a helper's personal link (engagements, certificates) stays valid.",
    section=DISPATCH,
)

# -- budgets of the helpers' own page and the public take (hotline.core.budgets) --------------

PUBLIC_BUDGETS = "Budgets of the public pages"

PROFILE_LINKS_PER_NUMBER_HOUR = SETTINGS.add(
    "PROFILE_LINKS_PER_NUMBER_HOUR",
    Int(min=0),
    3,
    "Personal links texted per hour to one helper who asks for theirs with PROFIL (0 = no limit).",
    section=PUBLIC_BUDGETS,
)
TAKE_CODES_PER_ADDRESS_HOUR = SETTINGS.add(
    "TAKE_CODES_PER_ADDRESS_HOUR",
    Int(min=0),
    10,
    "Codes for taking a call-out on the public page, per hour for one client address (0 = no limit).",
    section=PUBLIC_BUDGETS,
)
TAKE_CODES_PER_NUMBER_HOUR = SETTINGS.add(
    "TAKE_CODES_PER_NUMBER_HOUR",
    Int(min=0),
    5,
    "Codes for taking a call-out on the public page, per hour to one phone number (0 = no limit).",
    section=PUBLIC_BUDGETS,
)
TAKE_CODES_PER_HOUR = SETTINGS.add(
    "TAKE_CODES_PER_HOUR",
    Int(min=0),
    300,
    "Codes for taking a call-out on the public page, per hour in all (0 = no limit).",
    section=PUBLIC_BUDGETS,
)
