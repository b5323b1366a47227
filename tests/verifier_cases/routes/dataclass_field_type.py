# dataclasses.fields is off the list because a Field's .type is the (evaluated) annotation, but a Field
# object the submission keeps itself gets the same .type: dataclass() fills in the Field used as a default.
import dataclasses
import torch
class Holder:
    fld = dataclasses.field(default=0)
@dataclasses.dataclass
class Box:
    m: torch = Holder.fld
class Names:
    _C = _special = special_expit = None
def f(z):
    T = Holder.fld.type                 # the torch module
    return T._C._special.special_expit(z)
