"""One construct per component per cloud: `components/<cloud>/<component>.py`.

Constructs are looked up by name and imported on first use, so a spec that uses only AWS never loads the google
or azurerm bindings (each loads its whole jsii assembly into Node: seconds and hundreds of MB).
"""
