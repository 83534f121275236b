"""Money: in-house labour, partner price models and invoices, telephony, allocation to clients."""
