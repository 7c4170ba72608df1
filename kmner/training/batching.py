"""Length-grouped training batches: texts of similar length share a batch, so a
batch pads less (a CPU speed lever, bench/bench_training_speed.py)."""

from __future__ import annotations


class LengthBatches:
    """Batches of similar length: shuffle, sort within windows of ``window``
    batches, cut, shuffle the batches. Every example is in exactly one batch per
    epoch (the last batch of a window may be smaller; none is dropped), and the
    order is a function of ``seed`` and the epoch (``set_epoch``)."""

    def __init__(self, lengths, batch_size: int, *, window: int = 16, seed: int = 0):
        self.lengths = list(lengths)
        self.batch_size = int(batch_size)
        self.window = int(window)
        self.seed = int(seed)
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def batches(self) -> list[list[int]]:
        import random

        rng = random.Random(self.seed * 1_000_003 + self.epoch)
        order = list(range(len(self.lengths)))
        rng.shuffle(order)
        span = self.batch_size * self.window
        out = []
        for start in range(0, len(order), span):
            group = sorted(order[start:start + span], key=self.lengths.__getitem__)
            out += [group[i:i + self.batch_size] for i in range(0, len(group), self.batch_size)]
        rng.shuffle(out)
        return out

    def __iter__(self):
        self.epoch += 1  # GLiNER2 calls set_epoch only on a loader's sampler
        return iter(self.batches())

    def __len__(self) -> int:
        return -(-len(self.lengths) // self.batch_size)
