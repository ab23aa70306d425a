"""Who can be rung: lines, operators, shifts, ad-hoc availability, opening hours."""
