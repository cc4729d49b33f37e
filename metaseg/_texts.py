"""Text columns of many rows and few distinct values, built without a Python object per row.

A labels table repeats a handful of segment codes and names a million times. Building
those columns from object arrays makes pandas 3 convert every row to its Arrow-backed
``str`` dtype; taking the few distinct texts by index in Arrow gives the same column at a
fraction of the cost. Under pandas 2, whose default text dtype is ``object``, the column
is an object array as before.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["repeated_texts"]


def repeated_texts(texts: Sequence[str], index: np.ndarray) -> pd.Series:
    """``texts[index]`` as a column of the dtype pandas gives a list of texts.

    Parameters
    ----------
    texts : sequence of str
        The distinct texts.
    index : ndarray of int
        Per row, the position of its text in ``texts``.

    Returns
    -------
    Series
        Equal, dtype included, to ``pd.Series([texts[i] for i in index])``.

    Examples
    --------
    >>> column = repeated_texts(["active/0", "dormant/1"], np.array([1, 0, 1]))
    >>> column.tolist(), column.dtype == pd.Series(["x"]).dtype
    (['dormant/1', 'active/0', 'dormant/1'], True)
    """
    dtype = pd.Series(["x"]).dtype
    rows = np.asarray(index, dtype=np.int64)
    if pd.api.types.is_object_dtype(dtype):
        return pd.Series(np.asarray(list(texts), dtype=object)[rows], dtype=object)
    import pyarrow as pa

    distinct = pa.array(list(texts), type=pa.large_string())
    return pd.Series(distinct.take(pa.array(rows)), dtype=dtype)
