"""Admin feature: versioned prompt overrides, admin tokens and roles, audit log, admin views."""
