"""The figures the synthetic hub is calibrated on (see core/ingest/synth.py for their sources): tasks and
libraries by modality, licences, languages, the giant families, relation mixes, name markers and authors."""

from __future__ import annotations

import numpy as np

MODALITY_TASKS = {
    "Text": (
        [
            "text-generation",
            "text-classification",
            "feature-extraction",
            "sentence-similarity",
            "fill-mask",
            "token-classification",
            "text2text-generation",
            "question-answering",
            "translation",
            "summarization",
        ],
        [0.48, 0.14, 0.07, 0.06, 0.05, 0.06, 0.05, 0.04, 0.03, 0.02],
    ),
    "Image": (
        [
            "text-to-image",
            "image-classification",
            "object-detection",
            "image-segmentation",
            "image-to-image",
            "image-to-text",
            "depth-estimation",
        ],
        [0.55, 0.25, 0.07, 0.05, 0.04, 0.03, 0.01],
    ),
    "Video": (["text-to-video", "image-to-video", "video-classification"], [0.45, 0.3, 0.25]),
    "Audio": (
        ["automatic-speech-recognition", "text-to-speech", "audio-classification", "text-to-audio"],
        [0.55, 0.25, 0.15, 0.05],
    ),
    "Multimodal": (
        ["image-text-to-text", "visual-question-answering", "any-to-any", "document-question-answering"],
        [0.7, 0.1, 0.1, 0.1],
    ),
    "Tabular": (["tabular-classification", "tabular-regression", "time-series-forecasting"], [0.5, 0.3, 0.2]),
    "Reinforcement learning": (["reinforcement-learning", "robotics"], [0.9, 0.1]),
    "Other": (["graph-ml", "other"], [0.3, 0.7]),
}
MODALITIES = list(MODALITY_TASKS)
ISOLATED_MODALITY_P = [0.52, 0.17, 0.01, 0.08, 0.04, 0.02, 0.12, 0.04]
FAMILY_MODALITY_P = [0.66, 0.20, 0.01, 0.05, 0.05, 0.005, 0.005, 0.02]
LIBRARY = {
    "Text": (
        ["transformers", "sentence-transformers", "peft", "gguf", "mlx", "keras"],
        [0.8, 0.08, 0.04, 0.04, 0.02, 0.02],
    ),
    "Image": (["diffusers", "timm", "transformers", "ultralytics", "keras"], [0.55, 0.15, 0.2, 0.05, 0.05]),
    "Video": (["diffusers", "transformers"], [0.7, 0.3]),
    "Audio": (["transformers", "nemo", "espnet", "speechbrain"], [0.7, 0.1, 0.1, 0.1]),
    "Multimodal": (["transformers", "mlx", "gguf"], [0.85, 0.08, 0.07]),
    "Tabular": (["sklearn", "keras", "transformers"], [0.6, 0.25, 0.15]),
    "Reinforcement learning": (
        ["stable-baselines3", "ml-agents", "sample-factory", "lerobot"],
        [0.6, 0.2, 0.15, 0.05],
    ),
    "Other": (["transformers", "pytorch", "onnx"], [0.5, 0.3, 0.2]),
}
LICENSES = [
    "apache-2.0",
    "mit",
    "openrail",
    "creativeml-openrail-m",
    "cc-by-4.0",
    "cc-by-nc-4.0",
    "other",
    "llama3",
    "llama3.1",
    "llama2",
    "gemma",
    "cc-by-sa-4.0",
    "cc-by-nc-sa-4.0",
    "afl-3.0",
    "gpl-3.0",
    "bsd-3-clause",
    "openrail++",
    "bigscience-openrail-m",
    "cc0-1.0",
    "artistic-2.0",
    "unknown",
    "flux-1-dev-non-commercial-license",
    "qwen",
    "agpl-3.0",
    "lgpl-3.0",
    "wtfpl",
    "bigcode-openrail-m",
    "cc-by-nc-nd-4.0",
    "mpl-2.0",
    "unlicense",
]
LICENSE_P = np.array(
    [
        0.43,
        0.16,
        0.05,
        0.04,
        0.04,
        0.035,
        0.07,
        0.02,
        0.015,
        0.015,
        0.015,
        0.012,
        0.01,
        0.01,
        0.01,
        0.006,
        0.006,
        0.006,
        0.006,
        0.003,
        0.01,
        0.008,
        0.005,
        0.003,
        0.002,
        0.002,
        0.002,
        0.002,
        0.001,
        0.001,
    ]
)
LICENSE_P = LICENSE_P / LICENSE_P.sum()
LANGS = ["en", "zh", "fr", "de", "es", "ru", "ja", "ko", "vi", "ar", "pt", "it", "hi", "tr", "id", "nl", "pl"]
LANG_P = np.array(
    [
        0.76,
        0.044,
        0.03,
        0.025,
        0.025,
        0.02,
        0.015,
        0.012,
        0.01,
        0.01,
        0.01,
        0.008,
        0.008,
        0.007,
        0.006,
        0.005,
        0.005,
    ]
)
LANG_P = LANG_P / LANG_P.sum()
# (root id, modality, task, library, licence, share of all derived models)
GIANTS = [
    (
        "black-forest-labs/FLUX.1-dev",
        "Image",
        "text-to-image",
        "diffusers",
        "flux-1-dev-non-commercial-license",
        0.050,
    ),
    ("Qwen/Qwen1.5-0.5B", "Text", "text-generation", "transformers", "other", 0.024),
    ("Qwen/Qwen1.5-1.8B", "Text", "text-generation", "transformers", "other", 0.020),
    ("meta-llama/Meta-Llama-3-8B", "Text", "text-generation", "transformers", "llama3", 0.030),
    ("google/gemma-2b", "Text", "text-generation", "transformers", "gemma", 0.018),
    ("meta-llama/Llama-3.1-8B", "Text", "text-generation", "transformers", "llama3.1", 0.022),
    ("google/gemma-7b", "Text", "text-generation", "transformers", "gemma", 0.014),
    (
        "distilbert/distilbert-base-uncased",
        "Text",
        "text-classification",
        "transformers",
        "apache-2.0",
        0.013,
    ),
    ("Qwen/Qwen2.5-7B", "Text", "text-generation", "transformers", "apache-2.0", 0.012),
    ("stabilityai/stable-diffusion-xl-base-1.0", "Image", "text-to-image", "diffusers", "openrail++", 0.020),
]
# approximate upload dates of the giants' roots (their createdAt on the Hub; distilbert predates the Hub's
# createdAt records, which start at the floor)
GIANT_CREATED = {
    "black-forest-labs/FLUX.1-dev": "2024-07-31",
    "Qwen/Qwen1.5-0.5B": "2024-01-22",
    "Qwen/Qwen1.5-1.8B": "2024-01-22",
    "meta-llama/Meta-Llama-3-8B": "2024-04-17",
    "google/gemma-2b": "2024-02-08",
    "meta-llama/Llama-3.1-8B": "2024-07-14",
    "google/gemma-7b": "2024-02-08",
    "distilbert/distilbert-base-uncased": "2022-03-02",
    "Qwen/Qwen2.5-7B": "2024-09-15",
    "stabilityai/stable-diffusion-xl-base-1.0": "2023-07-25",
}
# authors: a Zipf-like law over 0.45 authors per model, calibrated on the real 2024-07 snapshot (0.25 authors
# per model in use, the largest holding 0.6% of models)
AUTHOR_SHARE, AUTHOR_EXPONENT, AUTHOR_OFFSET = 0.45, 0.9, 14
# relation mix of derived models (finetune, adapter, quantized, merge) by family modality
REL_MIX = {
    "Text": [0.33, 0.37, 0.25, 0.05],
    "Image": [0.30, 0.68, 0.02, 0.0],
    "default": [0.55, 0.30, 0.12, 0.03],
}
Q_MARK = ["GGUF", "GPTQ", "AWQ", "4bit", "8bit", "exl2", "mlx-4bit", "bnb-4bit"]
REL_MARK = {
    0: ["ft", "sft", "instruct", "chat", "dpo"],
    1: ["lora", "qlora", "adapter"],
    3: ["merge", "slerp", "ties"],
}
WORDS = [
    "alpha",
    "nova",
    "tiny",
    "mini",
    "base",
    "large",
    "bert",
    "gpt",
    "t5",
    "vit",
    "clip",
    "whisper",
    "sd",
    "llama",
    "mistral",
    "qwen",
    "phi",
    "gemma",
    "falcon",
    "roberta",
    "deberta",
    "electra",
    "xlm",
    "bart",
    "pegasus",
    "wav2vec",
    "hubert",
    "yolo",
    "detr",
    "sam",
    "resnet",
    "convnext",
    "swin",
    "beit",
    "ppo",
    "dqn",
    "sac",
    "agent",
    "taxi",
    "lunar",
    "cart",
    "pong",
]
