"""Payment tasks (webhook processing). Written by the payments work."""
