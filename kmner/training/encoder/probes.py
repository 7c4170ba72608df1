"""Probe sentences for checking a converted encoder (tests and the conversion
benchmark use the same ones, so their figures are comparable)."""

ENGLISH = [
    "The patient was started on metformin 500 mg twice daily for type 2 diabetes.",
    "Chest CT showed a 2 cm nodule in the right upper lobe.",
]

# (sentence, paraphrase, unrelated sentence)
PARAPHRASES = [
    ("당뇨병 환자의 혈당 관리", "혈당 조절이 필요한 당뇨 환자", "오늘 날씨가 맑다"),
    ("머리가 아프고 열이 난다", "두통과 발열 증상이 있다", "주식 시장이 크게 하락했다"),
    ("무릎 관절 수술 후 재활 치료", "무릎 수술을 받은 뒤 재활 운동", "새 스마트폰이 출시되었다"),
    ("blood sugar control in diabetic patients", "managing glucose levels for people with diabetes",
     "the weather is sunny today"),
]
