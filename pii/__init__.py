"""Personal data (phones, addresses, names): one masking for every process, its logs included."""
