# Type stubs of the chipshock package (the public API of python/chipshock/__init__.py).
import os
from typing import Any, Callable, Iterable, Mapping, Optional, Sequence, Tuple, Union

import numpy as np
import numpy.typing as npt
import pandas as pd

__version__: str

PathOrTable = Union[str, os.PathLike[str], Mapping[str, Any]]
Number = Union[int, float]

class InputError(ValueError):
    message: str
    file: str
    line: Optional[int]
    field: str
    hint: str
    def __init__(self, message: str, file: str = ..., line: int = ..., field: str = ...,
                 hint: str = ..., text: Optional[str] = ...) -> None: ...

class GpuUnavailable(RuntimeError): ...

class Result:
    report: dict[str, Any]
    losses: Optional[npt.NDArray[np.float64]]
    notices: list[str]
    @property
    def scenario_names(self) -> list[str]: ...
    def var(self, confidence: float = ..., scenario: str = ...) -> float: ...
    def es(self, confidence: float = ..., scenario: str = ...) -> float: ...
    def frame(self) -> pd.DataFrame: ...
    def components_frame(self) -> pd.DataFrame: ...
    def greeks_frame(self) -> pd.DataFrame: ...
    def write(self, dir: Union[str, os.PathLike[str]]) -> None: ...

def run(market: PathOrTable, portfolio: Union[PathOrTable, Sequence[PathOrTable]],
        scenarios: Union[PathOrTable, Iterable[PathOrTable]] = ...,
        paths: Union[int, str] = ..., horizon: int = ..., steps_per_day: int = ...,
        seed: Union[int, str] = ..., confidence: Union[Number, Sequence[Number]] = ...,
        backend: str = ..., threads: int = ..., rng: str = ..., antithetic: bool = ...,
        importance_sampling: bool = ..., components: bool = ...,
        stop_loss: Optional[Union[Number, str]] = ..., what_if: Optional[PathOrTable] = ...,
        target_rel_error: Optional[float] = ..., keep_losses: bool = ...,
        out: Optional[Union[str, os.PathLike[str]]] = ...,
        progress: Optional[Callable[[str, int, int], Any]] = ...,
        repair_correlation: Optional[str] = ...,
        stressed: Optional[PathOrTable] = ...) -> Result: ...

def calibrate(prices: Union[str, os.PathLike[str], Mapping[str, Any]],
              as_of: Optional[str] = ..., window: int = ...,
              tickers: Optional[Union[str, Sequence[str]]] = ..., vol: str = ...,
              ewma_lambda: Optional[float] = ..., correlation: str = ...,
              dof: Union[str, Number] = ..., rate: float = ...,
              currency: str = ...,
              factor_prices: Optional[Union[str, os.PathLike[str]]] = ...,
              sectors: Optional[Union[str, os.PathLike[str]]] = ...,
              stressed: bool = ..., portfolio: Optional[PathOrTable] = ...,
              stressed_window: int = ...) -> dict[str, Any]: ...

def scenarios() -> list[dict[str, str]]: ...

def backtest(portfolio: Union[str, os.PathLike[str]], start: str, end: str,
             prices: Optional[Union[str, os.PathLike[str]]] = ...,
             market: Optional[Union[str, os.PathLike[str]]] = ..., window: int = ...,
             confidence: Union[Number, Sequence[Number]] = ..., paths: Union[int, str] = ...,
             seed: Union[int, str] = ..., vol: str = ..., dof: str = ..., rate: float = ...,
             threads: int = ..., out: Optional[Union[str, os.PathLike[str]]] = ...,
             frame: bool = ...) -> Union[pd.DataFrame, dict[str, Any]]: ...
