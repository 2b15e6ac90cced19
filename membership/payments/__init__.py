"""Online payments: the Stripe gateway (the only module that imports `stripe`) and the
handlers that turn verified Stripe events into partnership changes."""
