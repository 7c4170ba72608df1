"""Reference, not a product feature: a plain token-classification head on the
same encoder GLiNER2 trains on, so GLiNER2's figures have an honest yardstick.

Words are kmner's own splitter tokens (``kiwi-terms`` by default); each word is
tagged BIO on its first subword; one linear layer over the encoder; full
fine-tuning with AdamW, linear warm-up and decay; the epoch with the best dev F1
is kept and scored on the test set with kmner.evaluation (strict, seqeval-equal).

    python bench/plain_token_head.py --train ../shared/data/gold/diagnosis/train.jsonl \
        --test ../shared/data/gold/diagnosis/test.jsonl --max-records 750 --epochs 3

Prints dev F1 per epoch and the test F1 with its 95% CI; writes JSON to --out.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from kmner.core.jsonl import load_records, write_json  # noqa: E402
from kmner.core.labelmap import LabelMap  # noqa: E402
from kmner.core.records import Entity, Record  # noqa: E402
from kmner.evaluation.bootstrap import bootstrap_ci  # noqa: E402
from kmner.evaluation.scoring import score_records  # noqa: E402
from kmner.training.examples import split_dev  # noqa: E402
from kmner.training.splitter import KoreanWordSplitter, span_tokens  # noqa: E402


def word_tags(rec: Record, offsets, types: list[str]) -> list[str]:
    tags = ["O"] * len(offsets)
    for e in rec.sorted_entities():
        tok = span_tokens(offsets, e.start, e.end)
        if tok is None or e.type not in types:
            continue  # unreachable for this splitter: counted as a miss at test time
        first, end = tok  # span_tokens gives [first, end): end is exclusive
        tags[first] = f"B-{e.type}"
        for i in range(first + 1, end):
            tags[i] = f"I-{e.type}"
    return tags


def encode(tokenizer, text: str, offsets, max_len: int = 256):
    """Subword ids of the words, and the index of each word's first subword."""
    ids, firsts = [tokenizer.cls_token_id], []
    for s, e in offsets:
        pieces = tokenizer(text[s:e], add_special_tokens=False)["input_ids"] or [tokenizer.unk_token_id]
        if len(ids) + len(pieces) >= max_len - 1:
            break
        firsts.append(len(ids))
        ids += pieces
    return ids + [tokenizer.sep_token_id], firsts


def decode(rec: Record, offsets, tags: list[str]) -> Record:
    ents, cur = [], None
    for i, tag in enumerate(tags + ["O"]):
        if cur and not (tag.startswith("I-") and tag[2:] == cur[0]):
            s, e = offsets[cur[1]][0], offsets[cur[2]][1]
            ents.append(Entity(cur[0], rec.text[s:e], s, e))
            cur = None
        if tag.startswith("B-") or (tag.startswith("I-") and cur is None):
            cur = [tag[2:], i, i]
        elif tag.startswith("I-") and cur:
            cur[2] = i
    return Record(rec.id, rec.text, ents)


class Data:
    def __init__(self, records, splitter, tokenizer, labels):
        self.records = records
        splitter.prepare(r.text for r in records)
        self.offsets = [splitter.offsets(r.text) for r in records]
        self.encoded = [encode(tokenizer, r.text, o) for r, o in zip(records, self.offsets)]
        lab = {t: i for i, t in enumerate(labels)}
        types = sorted({t[2:] for t in labels if t != "O"})
        self.tags = [[lab[t] for t in word_tags(r, o, types)]
                     for r, o in zip(records, self.offsets)]

    def batch(self, idx, pad_id):
        import torch

        width = max(len(self.encoded[i][0]) for i in idx)
        ids = torch.full((len(idx), width), pad_id)
        mask = torch.zeros((len(idx), width), dtype=torch.long)
        firsts, gold = [], []
        for row, i in enumerate(idx):
            tok, first = self.encoded[i]
            ids[row, :len(tok)] = torch.tensor(tok)
            mask[row, :len(tok)] = 1
            firsts.append(first)
            gold.append(self.tags[i][:len(first)])
        return ids, mask, firsts, gold


def predict(model, head, data: Data, labels, pad_id, batch_size=32) -> list[Record]:
    import torch

    out = []
    with torch.no_grad():
        for b in range(0, len(data.records), batch_size):
            idx = list(range(b, min(b + batch_size, len(data.records))))
            ids, mask, firsts, _ = data.batch(idx, pad_id)
            logits = head(model(input_ids=ids, attention_mask=mask).last_hidden_state)
            for row, i in enumerate(idx):
                best = logits[row, firsts[row]].argmax(-1).tolist() if firsts[row] else []
                tags = [labels[k] for k in best] + ["O"] * (len(data.offsets[i]) - len(best))
                out.append(decode(data.records[i], data.offsets[i], tags))
    return out


def train(args, tr: Data, dev: Data, test: Data, labels, tokenizer):
    import torch
    from transformers import AutoModel

    torch.manual_seed(args.seed)
    model = AutoModel.from_pretrained(args.encoder)
    head = torch.nn.Linear(model.config.hidden_size, len(labels))
    params = list(model.parameters()) + list(head.parameters())
    opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.01)
    steps = args.epochs * -(-len(tr.records) // args.batch_size)
    warm = int(0.1 * steps)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: (s + 1) / max(1, warm) if s < warm else max(0.0, (steps - s) / max(1, steps - warm)))
    rng, best, history, t0 = random.Random(args.seed), (-1.0, None), [], time.time()
    for epoch in range(1, args.epochs + 1):
        model.train(), head.train()
        order = list(range(len(tr.records)))
        rng.shuffle(order)
        losses = []
        for b in range(0, len(order), args.batch_size):
            ids, mask, firsts, gold = tr.batch(order[b:b + args.batch_size], tokenizer.pad_token_id)
            hidden = model(input_ids=ids, attention_mask=mask).last_hidden_state
            logits = head(hidden)
            rows = [(r, f, g) for r, (fs, gs) in enumerate(zip(firsts, gold)) for f, g in zip(fs, gs)]
            if not rows:
                continue
            sel = logits[[r for r, _, _ in rows], [f for _, f, _ in rows]]
            loss = torch.nn.functional.cross_entropy(sel, torch.tensor([g for _, _, g in rows]))
            loss.backward()
            losses.append(loss.item())
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step(), sched.step(), opt.zero_grad()
        model.eval(), head.eval()
        f1 = score_records(dev.records, predict(model, head, dev, labels, tokenizer.pad_token_id)).micro.f1
        mean_loss = sum(losses) / max(1, len(losses))
        history.append({"epoch": epoch, "train_loss": mean_loss, "dev_f1": f1,
                        "seconds": time.time() - t0})
        print(f"epoch {epoch}: train loss {mean_loss:.4f}, dev F1 {f1:.4f} "
              f"({time.time() - t0:.0f}s)", flush=True)
        if f1 > best[0]:
            best = (f1, predict(model, head, test, labels, tokenizer.pad_token_id))
    return best, history, time.time() - t0


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--encoder", default=str(REPO / "models" / "e5-small-ko-en"))
    ap.add_argument("--train", required=True)
    ap.add_argument("--test", required=True)
    ap.add_argument("--label-map", default=None)
    ap.add_argument("--max-records", type=int, default=0)
    ap.add_argument("--dev-fraction", type=float, default=0.2)
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--lr", type=float, default=1.5e-4)
    ap.add_argument("--splitter", default="kiwi-terms")
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=str(REPO / "bench" / "results" / "plain_token_head.json"))
    ap.add_argument("--pred-out", default="", help="also write the test predictions (JSONL)")
    args = ap.parse_args(argv)

    import torch
    from transformers import AutoTokenizer

    if args.threads:
        torch.set_num_threads(args.threads)
    lm = LabelMap.parse(args.label_map)
    train_recs = lm.apply(load_records(args.train))
    if args.max_records:
        train_recs = train_recs[:args.max_records]
    train_recs, dev_recs = split_dev(train_recs, args.dev_fraction, args.seed)
    test_recs = lm.apply(load_records(args.test))
    types = sorted({e.type for r in train_recs for e in r.entities})
    labels = ["O"] + [f"{p}-{t}" for t in types for p in "BI"]
    tokenizer = AutoTokenizer.from_pretrained(args.encoder)
    sp = KoreanWordSplitter(args.splitter)
    tr, dev, test = (Data(r, sp, tokenizer, labels) for r in (train_recs, dev_recs, test_recs))
    (dev_f1, pred), history, seconds = train(args, tr, dev, test, labels, tokenizer)
    scores = score_records(test_recs, pred)
    boot = bootstrap_ci(scores.per_sentence, n_resamples=1000, seed=0)
    result = {"train": args.train, "test": args.test, "max_records": args.max_records,
              "epochs": args.epochs, "lr": args.lr, "batch_size": args.batch_size,
              "splitter": args.splitter, "train_sentences": len(train_recs),
              "dev_sentences": len(dev_recs), "best_dev_f1": dev_f1, "history": history,
              "seconds": seconds, "examples_per_second": args.epochs * len(train_recs) / seconds,
              "test_scores": scores.to_dict(), "test_f1_ci": boot.to_dict()}
    print(f"test strict F1 {boot}; " + ", ".join(
        f"{t} {p.f1:.3f}" for t, p in sorted(scores.per_type.items())) + f"; {seconds:.0f}s")
    write_json(args.out, result)
    if args.pred_out:
        from kmner.core.jsonl import write_records

        write_records(args.pred_out, pred)
    return result


if __name__ == "__main__":
    main()
