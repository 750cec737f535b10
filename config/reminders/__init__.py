"""Review reminders: deadline kinds, rules, the exactly-once ledger, delivery, desk, inbox, feed.

The engine knows no kind by name. Each app declares the dated things it owns (an agreement's
notice deadline, a remediation date, …) as a `DeadlineKind` and registers it from its
`AppConfig.ready()`; the scan, the e-mails, the desk, the inbox and the calendar feed all read
those declarations, so they never disagree about what is due.
"""
