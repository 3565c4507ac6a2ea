"""Model names (the part of an id after its namespace) and their words, dictionary-coded: shared by the
layout features, the map's labels and the analyses' name-word predictors."""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_TOKEN = re.compile(r"[a-z][a-z0-9]+")


def name_part(ids: pa.ChunkedArray | pa.Array) -> pa.Array:
    """The part of each id after its namespace (the whole id where it has none), as spelled."""
    ids = ids.combine_chunks() if isinstance(ids, pa.ChunkedArray) else ids
    return pc.replace_substring_regex(ids, "^[^/]*/", "", max_replacements=1)


def name_tokens(ids: list[str]) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(owner node, token code, token labels) for the words of every model name (after the namespace)."""
    owners: list[int] = []
    toks: list[str] = []
    findall = _TOKEN.findall
    for i, mid in enumerate(ids):
        words = findall(mid.rpartition("/")[2].lower())
        toks.extend(words)
        owners.extend([i] * len(words))
    enc = pa.array(toks, type=pa.string()).dictionary_encode()
    return (
        np.asarray(owners, dtype=np.int64),
        enc.indices.to_numpy(zero_copy_only=False).astype(np.int64),
        enc.dictionary.to_pylist(),
    )


# how people write the names of well-known model lines and common terms (a label's words, not the ids)
_SPELLING = {
    "bert": "BERT",
    "roberta": "RoBERTa",
    "distilbert": "DistilBERT",
    "distilroberta": "DistilRoBERTa",
    "deberta": "DeBERTa",
    "albert": "ALBERT",
    "xlm": "XLM",
    "gpt": "GPT",
    "gpt2": "GPT-2",
    "gpt-2": "GPT-2",
    "gptj": "GPT-J",
    "gpt-j": "GPT-J",
    "gpt-neo": "GPT-Neo",
    "t5": "T5",
    "mt5": "mT5",
    "bart": "BART",
    "mbart": "mBART",
    "vit": "ViT",
    "clip": "CLIP",
    "sdxl": "SDXL",
    "xl": "XL",
    "llm": "LLM",
    "lora": "LoRA",
    "gguf": "GGUF",
    "gptq": "GPTQ",
    "awq": "AWQ",
    "exl2": "EXL2",
    "mlx": "MLX",
    "onnx": "ONNX",
    "hf": "",
    "xlnet": "XLNet",
    "electra": "ELECTRA",
    "opt": "OPT",
    "mpt": "MPT",
    "phi": "Phi",
    "yolo": "YOLO",
    "yolos": "YOLOS",
    "detr": "DETR",
    "sam": "SAM",
    "tts": "TTS",
    "asr": "ASR",
    "dpo": "DPO",
    "sft": "SFT",
    "rl": "RL",
    "ppo": "PPO",
    "dqn": "DQN",
    "a2c": "A2C",
    "sac": "SAC",
    "td3": "TD3",
    "nlp": "NLP",
    "ai": "AI",
    "rlhf": "RLHF",
    "moe": "MoE",
    "bge": "BGE",
    "e5": "E5",
    "gte": "GTE",
    "minilm": "MiniLM",
    "mpnet": "MPNet",
    "camembert": "CamemBERT",
    "flaubert": "FlauBERT",
    "bloom": "BLOOM",
    "bloomz": "BLOOMZ",
    "led": "LED",
}
_SIZE = re.compile(r"^(\d+(?:\.\d+)?)([bmkt])$")
_VERSION = re.compile(r"^v\d+(?:\.\d+)*$")


# how a copy of a model is packed, not what it is: dropped from the end of a family's name
_PACKAGING = frozenset(
    {
        "bnb",
        "4bit",
        "8bit",
        "gguf",
        "ggml",
        "awq",
        "gptq",
        "exl2",
        "mlx",
        "int4",
        "int8",
        "fp16",
        "bf16",
        "fp8",
    }
)


def readable(name: str) -> str:
    """A model name as people say it: "Llama-2-7b-hf" -> "Llama 2 7B", "stable-diffusion-xl-base-1.0" ->
    "Stable diffusion XL base 1.0", "bert-base-uncased" -> "BERT base uncased", "gpt2" -> "GPT-2". Words are
    split at '-' and '_', sizes written as sizes, known names spelled as their makers do, other words as
    written; the first word capitalised; "hf" and trailing packaging words ("bnb 4bit", "GGUF") dropped."""
    words = [w for w in re.split(r"[-_\s]+", name.strip()) if w]
    out = []
    for w in words:
        low = w.lower()
        size = _SIZE.match(low)
        if low in _SPELLING:
            spelled = _SPELLING[low]
        elif size:
            num, unit = size.groups()
            spelled = num + unit.upper()
        else:
            spelled = w  # as its maker wrote it (Meta, Llama, DeepSeek, TinyLlama, v0.1)
        if spelled:
            out.append(spelled)
    while len(out) > 1 and out[-1].lower() in _PACKAGING:  # "Llama 3 8B bnb 4bit" is Llama 3 8B to a reader
        out.pop()
    if out and out[0] == out[0].lower() and out[0][:1].isalpha():
        out[0] = out[0][:1].upper() + out[0][1:]
    return " ".join(out) or name


def task_words(task: str) -> str:
    """A pipeline tag as words: "text-generation" -> "Text generation"."""
    words = task.replace("-", " ").replace("_", " ").strip()
    return (words[:1].upper() + words[1:]) if words else task
