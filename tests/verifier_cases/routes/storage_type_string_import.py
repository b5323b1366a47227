# Tensor.untyped_storage().type(<string>) runs torch._utils._import_dotted_name: __import__ of the first
# component and getattr along the rest. Here it imports an arbitrary module (`this`, which prints on import);
# the value itself is not returned (it fails at .is_sparse), so this is an import-by-string side channel only.
import torch
def f(z):
    try:
        z.untyped_storage().type("this.s")
    except AttributeError:
        pass
    return z
