"""Reminders and chasing: scheduled work that emails people before and after each milestone.

Decides from read models (``review_status``, ``reminder_context``), records each decision in
its ledger before sending (``ledger``), and sends over SMTP (``mailer``). DESIGN.md section 9.
"""
