"""Server-rendered pages: helper sign-up, accept links, organisation call-outs, coordinator
approval and helper editing, the operator's ticket form. German first.

One blueprint, ``dispatch_web`` (:mod:`dispatch.web.blueprint`), with a controller module
per part: :mod:`~dispatch.web.offers` (accept links), :mod:`~dispatch.web.signup`,
:mod:`~dispatch.web.organisations`, :mod:`~dispatch.web.tickets` (operator tickets and
call-outs), :mod:`~dispatch.web.coordination` (the dashboard) and
:mod:`~dispatch.web.helpers` (editing and importing helpers), :mod:`~dispatch.web.trainings`
(helpers' trainings, what activities require) and :mod:`~dispatch.web.engagement`
(long-term engagement: profiles, interest, matches, certificates), :mod:`~dispatch.web.profile`
(the helper's own page) and :mod:`~dispatch.web.take` (taking a call-out from the public
page). The offer call's Twilio webhooks are a blueprint of their own, ``dispatch_voice``
(:mod:`~dispatch.web.voice`), signed by the provider instead of carrying a CSRF token.

Handlers parse the form, call the domain, commit once and then enqueue the outbox rows the
domain created (texts to send, waves to start).
"""

from __future__ import annotations

from dispatch.web import (  # noqa: F401 - importing a controller adds its routes to bp
    callouts,
    coordination,
    engagement,
    helpers,
    offers,
    organisations,
    profile,
    signup,
    take,
    tickets,
    trainings,
)
from dispatch.web.blueprint import bp

__all__ = ["bp"]
