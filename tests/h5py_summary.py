"""Reads a parahpc results file with h5py, as a user would, and prints its layout as JSON:
root attributes, and for each group its 1-D columns with units and row counts, its attributes,
and any subgroups' datasets with their shapes. The integration tests compare it with the schema."""
import json
import sys

import h5py


def describe(group):
    out = {"attributes": sorted(group.attrs), "columns": {}, "subgroups": {}}
    for name, item in group.items():
        if isinstance(item, h5py.Group):
            out["subgroups"][name] = {k: list(v.shape) for k, v in item.items()}
        elif item.ndim == 1 and "units" in item.attrs:
            out["columns"][name] = {"units": item.attrs["units"], "rows": item.shape[0]}
    return out


with h5py.File(sys.argv[1], "r") as f:
    summary = {
        "root_attributes": sorted(f.attrs),
        "hostnames": list(f["hostnames"].asstr()[()]),
        "cpusets": list(f["cpusets"].asstr()[()]),
        "groups": {k: describe(v) for k, v in f.items() if isinstance(v, h5py.Group)},
    }
print(json.dumps(summary))
