"""The content app's views: `public` (information pages, library, robots.txt) and `staff`
(previews of drafts)."""
