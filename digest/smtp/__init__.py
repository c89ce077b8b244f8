"""digest.smtp: hand finished message bytes to one or more SMTP relays over N reused connections each.

replies  what each SMTP answer means (Outcome, classify, refusal) and envelope addresses
relay    one reused connection (Relay)
pacer    one relay's adaptive rate limit (Pacer)
pool     the relays' connections in worker threads, each relay with its weight and pace (Pool, Lane,
         Hooks, Job, Result, open_all)
May import: config, errors.
"""

from .pacer import Pacer
from .pool import Hooks, Job, Lane, Pool, Result, open_all
from .relay import Abort, Relay
from .replies import (
                      ABOUT_US,
                      RECORDED,
                      UNCERTAIN_REASONS,
                      AddressError,
                      Outcome,
                      about_us,
                      classify,
                      refusal,
                      smtp_address,
                      uncertain_reason,
)

__all__ = ["ABOUT_US", "RECORDED", "UNCERTAIN_REASONS", "Abort", "AddressError", "Hooks", "Job", "Lane", "Outcome",
           "Pacer", "Pool", "Relay", "Result", "about_us", "classify", "open_all", "refusal", "smtp_address",
           "uncertain_reason"]
