"""Detection: rule packs compiled into one engine, validators, masking and the address gazetteer."""
