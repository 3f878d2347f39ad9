package inventory

// PendingDeletes is how many stored records the next Save deletes.
func PendingDeletes(inv *Inventory) int { return len(inv.gone) }
