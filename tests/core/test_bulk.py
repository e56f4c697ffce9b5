"""core.bulk: set-based writes keep what they are given."""

from __future__ import annotations

import pandas as pd
import pytest

from clients.models import Client
from core.bulk.frames import update_rows
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("dtype", [object, "str"])
def test_update_rows_writes_an_empty_text_as_empty_not_null(tree, dtype):
    # pandas 3 reads text as its ``str`` dtype; COPY's CSV would turn "" into NULL.
    first, second = (factories.ClientFactory(branch=tree["b1"], occupation="teacher") for _ in range(2))
    rows = pd.DataFrame({"id": [first.pk, second.pk], "occupation": pd.Series(["", "engineer"], dtype=dtype)})
    assert update_rows("clients_client", rows, {"occupation": "varchar"}) == 2
    assert dict(Client.objects.filter(pk__in=[first.pk, second.pk]).values_list("pk", "occupation")) == {
        first.pk: "",
        second.pk: "engineer",
    }
