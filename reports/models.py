"""Reports read the daily aggregates the nightly run maintains; their tables arrive with the
reporting issue. This app has no models of its own yet."""
