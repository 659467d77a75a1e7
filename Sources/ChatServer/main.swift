// Placeholder until the server glue lands.
print("switchboard: not built yet")
