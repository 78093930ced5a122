"""The customer portal: representatives raise, follow and close their tickets and read reports."""
