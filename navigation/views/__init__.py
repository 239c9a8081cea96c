"""The navigation pages: `public` (records intake), `portal` (the patient's own cases) and
`staff` (the coordinators' case page, mounted inside the admin)."""
