"""One source of truth per setting: the flag table (`flags.FLAG_GROUPS`) names every setting and holds its default;
each module's `config_from_params` builds its dataclass from it, reading no other name; and the run notebooks'
parameters cells use the flag names and defaults. A run notebook may pick another default for its own purpose
(a small model that overfits LDC93S1 in minutes), but only saying so in its comment as `(flag default: VALUE)`,
which this test checks against the table too."""
import ast, dataclasses, difflib, re
from pathlib import Path
import pytest

from deepspeech_nb import flags
from deepspeech_nb.runs import notebook_parameters

ROOT = Path(__file__).resolve().parents[1]
RUN_NOTEBOOKS = sorted((ROOT / "nbs" / "runs").glob("*.ipynb"))
FLAGS = {name: (kind, default) for rows in flags.FLAG_GROUPS.values() for kind, name, default, _ in rows}
PYTHON_TYPE = {"string": "str", "integer": "int", "float": "float", "boolean": "bool", "multi_string": "list"}
DOCUMENTED_DEFAULT = re.compile(r"\(flag default: ([^;)]*)[;)]")


def same(a, b) -> bool:
    "Equal as settings: an empty string or list means the same as None (unset)."
    unset = lambda v: None if v in ("", [], ()) else v
    return unset(a) == unset(b)


class ReadRecorder(dict):
    "A params dict that remembers every name read from it."
    def __init__(self, *args):
        super().__init__(*args); self.read = set()
    def __getitem__(self, name): self.read.add(name); return super().__getitem__(name)
    def get(self, name, default=None): self.read.add(name); return super().get(name, default)
    def __contains__(self, name): self.read.add(name); return super().__contains__(name)


@pytest.fixture
def params(tmp_path):
    "Every flag at its default, resolved, with an export folder so the export configuration is built too."
    return flags.resolve_params({"checkpoint_dir": str(tmp_path / "ckpt"), "export_dir": str(tmp_path / "export")})


def test_flag_names_are_unique_and_aliases_point_at_flags():
    names = [name for rows in flags.FLAG_GROUPS.values() for _, name, _, _ in rows]
    assert len(names) == len(set(names)), sorted({n for n in names if names.count(n) > 1})
    assert set(flags.FLAG_ALIASES.values()) <= set(names)


def names_read_by_builders(params) -> set[str]:
    "Every name the configuration builders of `flags.configs_from_params` read from the params."
    recorder = ReadRecorder(params)
    for build in flags.CONFIG_BUILDERS.values(): build(recorder)
    features, alphabet = flags.features_from_params(recorder), flags.alphabet_from_params(recorder)
    flags.model_from_params(recorder, features, alphabet)
    return recorder.read


def test_configuration_builders_read_only_flags(params):
    read = names_read_by_builders(params)
    assert {"train_files", "n_hidden", "load_train", "beam_width", "export_dir", "augment"} <= read
    unknown = sorted(read - set(FLAGS))
    assert not unknown, f"read by a configuration builder, but no flag sets them: {unknown}"


def flag_fields(config) -> list[dataclasses.Field]:
    "The fields of a configuration dataclass named like a flag."
    return [f for f in dataclasses.fields(config) if f.name in FLAGS]


def test_built_configurations_hold_the_flag_values(params):
    run = flags.configs_from_params(params)
    built = [getattr(run, f.name) for f in dataclasses.fields(run) if dataclasses.is_dataclass(getattr(run, f.name))]
    assert {type(c).__name__ for c in built} >= {"DataConfig", "FeatureConfig", "ModelConfig", "TrainConfig",
                                                 "CheckpointConfig", "AugmentConfig", "ExportConfig", "DecoderConfig"}
    wrong = [f"{type(c).__name__}.{f.name} = {getattr(c, f.name)!r}, flag: {params[f.name]!r}"
             for c in built for f in flag_fields(c) if not same(getattr(c, f.name), params[f.name])]
    assert not wrong, "\n".join(wrong)


def test_splits_hold_their_flags(params):
    "The split flags have other names in `SplitConfig` (files, batch_size, limit, reverse)."
    data = flags.configs_from_params(params).data
    for split, flag in (("train", "train"), ("dev", "dev"), ("test", "test"), ("metrics", "dev")):
        got = getattr(data, split)
        assert (got.files, got.batch_size, got.limit, got.reverse) == (
            params[f"{split}_files"], params[f"{flag}_batch_size"], params[f"limit_{flag}"], params[f"reverse_{flag}"])
    split_defaults = {f.name: f.default for f in dataclasses.fields(type(data.train))}
    assert split_defaults == {"files": FLAGS["train_files"][1], "batch_size": FLAGS["train_batch_size"][1],
                              "limit": FLAGS["limit_train"][1], "reverse": FLAGS["reverse_train"][1]}


TABLE_ROW = re.compile(r'^\s*\("(string|integer|float|boolean|multi_string)", ')


def test_every_flag_does_something_or_says_it_is_only_accepted(params):
    "A flag is read by a builder, is a configuration field, or is named in the package (e.g. `params['n_trials']`)."
    source = "\n".join(line for path in (ROOT / "deepspeech_nb").glob("*.py") if path.name != "_modidx.py"
                       for line in path.read_text().splitlines() if not TABLE_ROW.match(line))
    run = flags.configs_from_params(params)
    fields = {f.name for part in dataclasses.fields(run) if dataclasses.is_dataclass(getattr(run, part.name))
              for f in dataclasses.fields(getattr(run, part.name))}
    used = names_read_by_builders(params) | fields
    unused = [f"--{name}: {help_}" for rows in flags.FLAG_GROUPS.values() for _, name, _, help_ in rows
              if name not in used and not re.search(rf"""["']{name}["']""", source)
              and not help_.startswith("accepted for DeepSpeech compatibility")]
    assert not unused, "flags nothing reads (say 'accepted for DeepSpeech compatibility: ...' if that is meant):\n" + "\n".join(unused)


def test_dataclass_defaults_are_the_flag_defaults(params):
    "A field with a default (other than None, 'not given') has the flag's default."
    run = flags.configs_from_params(params)
    classes = {type(getattr(run, f.name)) for f in dataclasses.fields(run) if dataclasses.is_dataclass(getattr(run, f.name))}
    wrong = [f"{cls.__name__}.{f.name} = {f.default!r}, flag default: {FLAGS[f.name][1]!r}"
             for cls in classes for f in flag_fields(cls)
             if f.default not in (dataclasses.MISSING, None) and not same(f.default, FLAGS[f.name][1])]
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("notebook", RUN_NOTEBOOKS, ids=lambda p: p.name)
def test_run_notebook_parameters_match_the_flags(notebook):
    problems = []
    for name, (default, typ, help_) in notebook_parameters(notebook).items():
        if not help_.strip(): problems.append(f"{name}: no comment saying what it is")
        if name not in FLAGS:
            close = difflib.get_close_matches(name, FLAGS, n=1, cutoff=0.9)   # a misspelt flag would be silently unused
            if close: problems.append(f"{name}: not a flag; did you mean {close[0]}?")
            continue
        kind, flag_default = FLAGS[name]
        if typ != PYTHON_TYPE[kind]: problems.append(f"{name}: {typ}, the flag is a {kind}")
        value, documented = ast.literal_eval(default), DOCUMENTED_DEFAULT.search(help_)
        if documented and not same(ast.literal_eval(documented.group(1).strip()), flag_default):
            problems.append(f"{name}: says (flag default: {documented.group(1)}), the flag's default is {flag_default!r}")
        elif not documented and not same(value, flag_default):
            problems.append(f"{name} = {value!r}, flag default {flag_default!r}: use it or say `(flag default: {flag_default!r})`")
    assert not problems, f"{notebook.name}:\n" + "\n".join(problems)


def test_helpfull_lists_every_flag_as_absl_does_under_its_section():
    text = flags.help_text(full=True)
    for group, rows in flags.FLAG_GROUPS.items():
        section = text.split(f"\n{group}:\n", 1)[1].split("\n\n", 1)[0]    # up to the next section
        for kind, name, _, _ in rows:
            spelled = f"--[no]{name}:" if kind == "boolean" else f"--{name}:"
            assert f"\n  {spelled}" in "\n" + section, f"{spelled} not under {group}:"
    assert "\n  n_hidden:" not in text and "\n  [no]" not in text             # the old `name: help` form
    short = flags.help_text(full=False)
    assert "\n  --n_hidden: " in short and "--export_language" not in short and "--helpfull" in short
