"""The voice hotline's refusals (call log filters, call-backs, notes, the simulator),
registered with the core's domain errors when the package is imported."""

from __future__ import annotations

from hotline.core.errors import N_, register

#: The voice hotline's refusals, by code: the German msgid with its placeholders.
REFUSALS: dict[str, str] = {
    # -- the call log, voicemail, notes, the simulator (hotline.voice) --
    "filter_line": N_("Bitte wählen Sie eine Linie aus der Liste."),
    "filter_date": N_("Bitte geben Sie das Datum als TT.MM.JJJJ an."),
    "filter_dates_reversed": N_("Das Enddatum liegt vor dem Anfangsdatum."),
    "filter_outcome": N_("Bitte wählen Sie ein Ergebnis aus der Liste."),
    "export_too_long": N_("Bitte exportieren Sie höchstens ein Jahr auf einmal."),
    "callback_no_message": N_("Zu diesem Anruf gibt es keine Nachricht."),
    "note_category": N_("Diese Art von Notiz gibt es nicht."),
    "note_too_long": N_("Die Notiz hat {length} Zeichen; höchstens {limit} gehen."),
    "note_no_call": N_("Diesen Anruf gibt es nicht."),
    "simulator_time_unreadable": N_(
        "Zeitpunkt {value!r} nicht verstanden: bitte als JJJJ-MM-TT HH:MM angeben, "
        "z. B. 2026-03-12 09:30."
    ),
}

register(REFUSALS)
