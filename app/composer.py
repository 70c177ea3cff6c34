"""The train page's composer: layer list and recipe in st.session_state, the network diagram,
and model files (export / import)."""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, replace

import plotly.graph_objects as go
import streamlit as st

from app.figures import ROLE_COLOURS, network_shape, quad
from app.models import TrainedModel
from app import room_session
from app.state import set_current_model
from app.text import as_text
from classroom.recipe import BATCH_SIZES, LEARNING_RATES, REGULARIZATION_RATES, Settings
from core.data import Beats, Composition, Split
from core.evaluation import evaluate
from core.model import MAX_LAYERS, AutoencoderSpec
from core.persistence import MAX_FILE_BYTES, ModelFileError, from_bytes, to_bytes
from core.train import TrainConfig, TrainResult, check_budget

LAYERS_KEY = "composer_layers"
SAVED_KEY = "composer_saved"
UPLOAD_KEY = "composer_upload"
UPLOAD_NOTICE_KEY = "composer_upload_notice"

OPTIMIZER_NAMES = {"adam": "Adam", "adamax": "Adamax", "adadelta": "Adadelta", "rmsprop": "RMSprop",
                   "momentum": "Momentum", "sgd": "SGD"}
LAYERS_PER_ROW = 5  # each units input stays wide enough to show its - / + buttons
# The largest model file the reader accepts (the composer's largest network as float32 weights and
# its metadata): what the model uploader says and accepts (Streamlit's MB is 2**20 bytes).
MAX_MODEL_MB = math.ceil(MAX_FILE_BYTES / 2**20)

_SPEC = AutoencoderSpec()
# every composer control but the layers: widget key "composer_<setting>" -> its default
CONTROL_DEFAULTS = {f"composer_{name}": value for name, value in asdict(Settings()).items() if name != "layers"}

# ---------------------------------------------------------------- composer state


def unit_key(layer: int) -> str:
    return f"composer_units_{layer}"


def restore_controls() -> None:
    """Put the composer's values back into its widgets' keys, the room's locked values over them.

    The values also live under keys no widget owns (``composer_layers``, ``composer_saved``): that
    is where settings applied while another page is shown (a link, the saved work, the room's
    locks) go, to reach the widgets when the Train page next draws them.
    """
    locks = room_session.locks()
    if locks:
        try:
            settings = current_settings()
        except ValueError:
            settings = Settings()
        if settings.with_locks(locks) != settings:
            apply_settings(settings)  # apply_settings puts the locked values in
    layers = st.session_state.setdefault(LAYERS_KEY, list(_SPEC.encoder_units))
    saved = st.session_state.setdefault(SAVED_KEY, dict(CONTROL_DEFAULTS))
    for key, value in saved.items():
        st.session_state.setdefault(key, value)
    for layer, units in enumerate(layers):
        st.session_state.setdefault(unit_key(layer), units)


def apply_settings(settings: Settings) -> None:
    """Set every composer control (the room's locks win). The widgets take the values when the
    Train page next draws them (``restore_controls``): a value set under a widget's own key while
    another page is shown would not reach the widget, so those keys are cleared instead."""
    values = asdict(settings.with_locks(room_session.locks()))
    st.session_state[LAYERS_KEY] = list(values.pop("layers"))
    st.session_state[SAVED_KEY] = {f"composer_{name}": value for name, value in values.items()}
    for key in [*CONTROL_DEFAULTS, *map(unit_key, range(MAX_LAYERS))]:
        st.session_state.pop(key, None)


def current_settings() -> Settings:
    """The composer's settings as the learner set them; ValueError with a readable message while
    they can't form a recipe (e.g. a seed beyond the largest a link can hold)."""
    state = st.session_state
    saved = state.get(SAVED_KEY, CONTROL_DEFAULTS)
    values = {key[len("composer_"):]: state.get(key, saved.get(key, default))
              for key, default in CONTROL_DEFAULTS.items()}
    layers = encoder_units() if LAYERS_KEY in state else list(_SPEC.encoder_units)
    return Settings(layers=tuple(layers), **values)


def locked(setting: str) -> bool:
    """Whether the room's instructor has locked this setting (the widget shows it disabled)."""
    return setting in room_session.locks()


def control(setting: str, *, key: str | None = None, disabled: bool = False) -> dict:
    """The keyword arguments of the widget for ``setting`` (a ``Settings`` field): its key, greyed
    out where the room locks it (or ``disabled``), and its value kept for the whole session.

    Kept (``persist_state="session"``) so that the server tells a browser drawing the widget afresh
    the learner's value: otherwise it tells only the widget's first option, and a learner who typed in
    Layer 1 before a busy page had drawn its sliders trained with learning rate 0.0001 and batch size
    8 without seeing either.
    """
    return {"key": key or f"composer_{setting}", "disabled": disabled or locked(setting), "persist_state": "session"}


def remember_controls() -> None:
    st.session_state[LAYERS_KEY] = encoder_units()
    st.session_state[SAVED_KEY] = {key: st.session_state[key] for key in CONTROL_DEFAULTS}


def encoder_units() -> list[int]:
    return [int(st.session_state.get(unit_key(layer), units))
            for layer, units in enumerate(st.session_state[LAYERS_KEY])]


def layer_rows() -> list[range]:
    count = layer_count()
    return [range(start, min(start + LAYERS_PER_ROW, count)) for start in range(0, count, LAYERS_PER_ROW)]


def layer_count() -> int:
    return len(st.session_state[LAYERS_KEY])


def layer_label(layer: int) -> str:
    return "Bottleneck" if layer == layer_count() - 1 else f"Layer {layer + 1}"


def _set_layers(units: list[int]) -> None:
    st.session_state[LAYERS_KEY] = units
    for layer, n in enumerate(units):
        st.session_state[unit_key(layer)] = n


def add_layer() -> None:
    """A new bottleneck after the last layer, half its width."""
    units = encoder_units()
    if len(units) < MAX_LAYERS:
        _set_layers([*units, max(1, units[-1] // 2)])


def remove_layer() -> None:
    units = encoder_units()
    if len(units) > 1:
        _set_layers(units[:-1])


def reset_layers() -> None:
    _set_layers(list(_SPEC.encoder_units))


@dataclass(frozen=True)
class Recipe:
    spec: AutoencoderSpec
    config: TrainConfig
    composition: Composition
    normal: int
    abnormal: int

    @property
    def train_size(self) -> int:
        return self.normal + self.abnormal

    @property
    def one_batch_per_epoch(self) -> bool:
        return self.config.batch_size >= self.train_size

    def describe(self, pool: Beats) -> str:
        """The training set in words, with the abnormal share it really has: rounding to whole beats
        moves a small set off the slider's value (70 % of 2 beats is 1 beat, 50 %)."""
        share, asked = self.abnormal / self.train_size, self.composition.abnormal_fraction
        text = (f"Training on **{self.normal:,} normal** and **{self.abnormal:,} abnormal** beats: **{share:.0%} "
                f"abnormal** (the pool holds {len(pool.normal):,} normal of {len(pool):,}).")
        if f"{share:.0%}" != f"{asked:.0%}":
            text += f" {self.train_size:,} beat{'s' if self.train_size != 1 else ''} can't be {asked:.0%} abnormal."
        return text


def read_spec() -> AutoencoderSpec:
    """The composed network; ValueError with a readable message if it can't be built."""
    return AutoencoderSpec(tuple(encoder_units()), activation=st.session_state["composer_activation"])


def read_recipe(pool: Beats) -> Recipe:
    """Everything a training run needs, the room's locked settings enforced here (whatever the
    widgets or the URL said); ValueError with a readable message if impossible."""
    settings = current_settings().with_locks(room_session.locks())
    spec, config, composition = settings.spec(), settings.config(), settings.composition()
    normal, abnormal = composition.counts(pool)
    check_budget(spec.param_count, normal + abnormal, config)
    return Recipe(spec, config, composition, normal, abnormal)


# ---------------------------------------------------------------- diagram


def network_diagram(spec: AutoencoderSpec, height: int = 250) -> go.Figure:
    """The whole symmetric network as bars (height ~ sqrt of units) joined by funnels."""
    widths = spec.widths
    shape = network_shape(widths)
    half, bar = shape.half, shape.bar
    fig = go.Figure()
    funnels = [quad(i - 1 + bar, half[i - 1], i - bar, half[i]) for i in range(1, len(widths))]
    fig.add_trace(_polygons(funnels, "rgba(108,117,125,0.18)"))
    for role, colour in ROLE_COLOURS.items():
        bars = [quad(i - bar, half[i], i + bar, half[i]) for i, r in enumerate(shape.roles) if r == role]
        fig.add_trace(_polygons(bars, colour))
    fig.add_trace(go.Scatter(
        x=list(range(len(widths))), y=half + 0.03, mode="text", text=[f"<b>{w}</b>" for w in widths],
        textposition="top center", hovertext=[f"{n}: {w} units" for n, w in zip(shape.names, widths)],
        hoverinfo="text", showlegend=False))
    fig.update_xaxes(tickvals=list(range(len(widths))), ticktext=shape.names, showgrid=False, zeroline=False,
                     range=[-0.6, len(widths) - 0.4])
    fig.update_yaxes(visible=False, range=[-0.55, 0.7])
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=40, b=10), showlegend=False,
                      plot_bgcolor="rgba(0,0,0,0)",
                      title=f"{' → '.join(map(str, widths))} · {spec.param_count:,} parameters")
    return fig


def parameter_sum(spec: AutoencoderSpec) -> str:
    """How the parameter count adds up: (inputs + 1 bias) x outputs per dense layer."""
    w = spec.widths
    terms = " + ".join(f"({a}+1)·{b}" for a, b in zip(w[:-1], w[1:]))
    return f"{terms} = {spec.param_count:,} parameters"


def _polygons(polygons: list[list[tuple[float, float]]], colour: str) -> go.Scatter:
    """Filled polygons in one trace (None separates them)."""
    x, y = [], []
    for polygon in polygons:
        x += [p[0] for p in polygon] + [polygon[0][0], None]
        y += [p[1] for p in polygon] + [polygon[0][1], None]
    return go.Scatter(x=x, y=y, mode="lines", fill="toself", fillcolor=colour, line=dict(width=0),
                      hoverinfo="skip", showlegend=False)


# ---------------------------------------------------------------- model files


def model_file(model: TrainedModel) -> bytes:
    """The model as a safetensors file, with its test numbers and training-set recipe."""
    return to_bytes(model.detector, {**model.evaluation.summary(), "trained_at": model.trained_at},
                    model.composition, model.train_size)


def model_file_name(model: TrainedModel) -> str:
    return re.sub(r"[^a-z0-9]+", "-", model.label.lower()).strip("-") + ".safetensors"


def load_model_file(data: bytes, name: str, split: Split) -> TrainedModel:
    """A model from a file this app saved, evaluated on ``split``; ModelFileError otherwise."""
    saved = from_bytes(data, name=name)
    detector = saved.detector
    result = detector.result_ or TrainResult("completed", len(detector.history_), 0.0, "loaded from file")
    try:
        evaluation = evaluate(detector, split)
    except (ValueError, RuntimeError) as exc:
        raise ModelFileError(f"{name} could not score the ECG5000 beats: {exc}") from exc
    model = TrainedModel(detector, evaluation, saved.composition or Composition(), result, f"Loaded from {name}",
                         saved.train_size or 0)
    trained_at = saved.metrics.get("trained_at")
    return replace(model, trained_at=trained_at) if isinstance(trained_at, str) and trained_at else model


def load_upload(split: Split) -> None:
    """Callback of the uploader: a good file becomes the session's model, a bad one a message."""
    upload = st.session_state.get(UPLOAD_KEY)
    if upload is None:
        return
    try:
        model = load_model_file(upload.getvalue(), upload.name, split)
    except ModelFileError as exc:
        st.session_state[UPLOAD_NOTICE_KEY] = ("error", f"Could not load this model: {as_text(exc)}. "
                                                        "The model in use did not change.")
        return
    set_current_model(model)
    settings, problems = Settings.from_model(model.spec, model.config, model.composition)
    apply_settings(settings)
    kept = (f" Its recipe is in the controls, except {as_text(', '.join(problems))}, which the composer can't "
            "set (defaults shown)." if problems else " Its recipe is in the controls above.")
    st.session_state[UPLOAD_NOTICE_KEY] = ("success", f"Loaded {as_text(upload.name)} (test AUC "
                                                      f"{model.evaluation.test_auc:.3f}); it is now the "
                                                      f"model on every page.{kept}")


def show_notice(key: str, where=st) -> None:
    """The message a callback left under ``key``, as st.success / st.warning / st.error."""
    if key in st.session_state:
        kind, text = st.session_state[key]
        getattr(where, kind)(text)
