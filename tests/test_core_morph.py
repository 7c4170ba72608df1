"""kmner.core.morph against real Kiwi."""

from kmner.core.morph import by_sentence, get_kiwi

TEXTS = ["", "   ", "간 기능이 떨어졌다.", "어제 많이 아팠다 간 수치가 올랐다",
         "당뇨병이 있다. 메트포르민을 먹는다! 혈당은? 좋다", "한 문장"]


def test_by_sentence_groups_like_kiwis_split_sents():
    kiwi = get_kiwi(None, 1)
    plain = list(kiwi.tokenize(TEXTS))
    split = list(kiwi.tokenize(TEXTS, split_sents=True))
    assert [len(s) for s in split] == [0, 0, 1, 2, 4, 1]  # the texts do test both paths
    for tokens, expected in zip(plain, split):
        got = by_sentence(tokens)
        assert [[(t.form, t.tag, t.start, t.len) for t in s] for s in got] == \
            [[(t.form, t.tag, t.start, t.len) for t in s] for s in expected]
