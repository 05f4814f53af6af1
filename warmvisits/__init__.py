"""warmvisits: analytics for the Four-Season Menu · Warm Visits programme."""
