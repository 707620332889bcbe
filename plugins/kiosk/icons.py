"""Icons for tiles and guides (referred to by name in settings, hooks and guide front matter)."""

# Tile and guide icons by name (simple line drawings, drawn in the text colour). Unknown names show nothing.
ICONS = {
    "calendar": '<rect x="4" y="5" width="16" height="15" rx="1"/><path d="M4 10h16M8 3v4M16 3v4"/>',
    "book": '<path d="M12 6c-2.5-1.5-5-1.5-8-.5v13c3-1 5.5-1 8 .5 2.5-1.5 5-1.5 8-.5v-13c-3-1-5.5-1-8 .5zM12 6v13"/>',
    "talk": '<path d="M4 5h16v10H11l-5 4v-4H4z"/><path d="M8 9h8M8 12h5"/>',
    "computer": '<rect x="3" y="4" width="18" height="12" rx="1"/><path d="M8 20h8M12 16v4"/>',
    "info": '<circle cx="12" cy="12" r="9"/><path d="M12 11v6M12 7.5v.5"/>',
    "child": '<circle cx="12" cy="6" r="3"/><path d="M7 21l1-7h8l1 7M8 14l-3-3M16 14l3-3"/>',
    "money": ('<rect x="3" y="6" width="18" height="12" rx="1"/><circle cx="12" cy="12" r="2.5"/>'
              '<path d="M6 9v6M18 9v6"/>'),
    "passport": '<rect x="6" y="3" width="12" height="18" rx="1"/><circle cx="12" cy="10" r="3"/><path d="M9 17h6"/>',
    "home": '<path d="M3 11l9-7 9 7M5 10v10h14V10M10 20v-6h4v6"/>',
    "speaker": '<path d="M4 9h4l5-4v14l-5-4H4z"/><path d="M16.5 8.5a5 5 0 0 1 0 7M19 6a8.5 8.5 0 0 1 0 12"/>',
    "globe": '<circle cx="12" cy="12" r="9"/><path d="M3 12h18M12 3c3 3 3 15 0 18M12 3c-3 3-3 15 0 18"/>',
    "id": ('<rect x="3" y="6" width="18" height="12" rx="1"/><circle cx="8" cy="11" r="2"/>'
           '<path d="M5 16c1-2 5-2 6 0M13 10h5M13 14h5"/>'),
}
