"""The records views: `public` (the intake page's upload endpoints), `staff` (downloads)."""
