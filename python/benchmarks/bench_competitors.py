"""The competitors of bench_gpu.py: PyTorch SDPA (flash, cuDNN) and
FlexAttention on contiguous copies of a row's data."""

from bench_rows import *  # noqa: F401,F403 (shapes and constants)
from bench_util import say, short


class Competitors:
    """Builds the competitor callables of a row; each returns [B, H, lq, D].
    A competitor that cannot express the variant gets a reason instead."""

    def __init__(self, torch):
        self.torch = torch
        import torch.nn.functional as F
        from torch.nn.attention import SDPBackend, sdpa_kernel
        self.F, self.SDPBackend, self.sdpa_kernel = F, SDPBackend, sdpa_kernel
        self.flex_error = None
        try:
            import torch._dynamo
            cfg = torch._dynamo.config
            for key in ("cache_size_limit", "recompile_limit",
                        "accumulated_cache_size_limit",
                        "accumulated_recompile_limit"):
                if hasattr(cfg, key):
                    setattr(cfg, key, 4096)
            from torch.nn.attention import flex_attention as fa
            self.fa = fa
            self.flex = torch.compile(fa.flex_attention, dynamic=False)
            self.aux = getattr(fa, "AuxRequest", None)
        except Exception as e:
            self.flex_error = short(e)

    # SDPA ------------------------------------------------------------------

    def _mask(self, row, d):
        """(attn_mask or None, is_causal) for SDPA; raises ValueError where
        SDPA has no way to say the variant."""
        torch = self.torch
        S, lq, v = row.ctx, row.q_len, row.variant
        dev = d.q.device
        if v in ("softcap", "sinks"):
            raise ValueError("SDPA has no %s" % v)
        if row.lens is not None:   # padded decode: a key-padding mask
            keep = torch.arange(S, device=dev).view(1, S) < \
                d.seq_lens.view(-1, 1).long()
            return keep.view(row.batch, 1, 1, S), False
        if v in ("base", "fp8kv"):
            return None, row.kind == "prefill"
        i = (torch.arange(lq, device=dev) + (S - lq)).view(lq, 1)
        j = torch.arange(S, device=dev).view(1, S)
        if v == "window":
            return ((j <= i) & (i - j < WINDOW)).view(1, 1, lq, S), False
        if v == "alibi":
            bias = d.alibi.view(H, 1, 1) * (j - i).float()
            bias = bias.masked_fill(j > i, float("-inf"))
            return bias.to(torch.bfloat16).view(1, H, lq, S), False
        raise ValueError(v)

    def sdpa(self, backend_name, row, d):
        torch = self.torch
        backend = getattr(self.SDPBackend, backend_name)
        if backend_name == "FLASH_ATTENTION" and (row.variant not in (
                "base", "fp8kv") or row.lens is not None):
            raise ValueError("flash SDPA takes no mask, bias, softcap or "
                             "sinks")
        mask, causal = self._mask(row, d)
        F, kernel = self.F, self.sdpa_kernel
        q, k, v = d.qd, d.kd, d.vd

        def gqa():
            with kernel([backend]):
                return F.scaled_dot_product_attention(
                    q, k, v, attn_mask=mask, is_causal=causal, scale=SCALE,
                    enable_gqa=True)
        note = ""
        try:
            gqa()
            torch.cuda.synchronize()
            return gqa, note
        except Exception as e:
            note = "enable_gqa refused (%s); K/V expanded to %d heads" % (
                short(e, 80), H)
        ke = k.repeat_interleave(GROUP, 1)
        ve = v.repeat_interleave(GROUP, 1)

        def expanded():
            with kernel([backend]):
                return F.scaled_dot_product_attention(
                    q, ke, ve, attn_mask=mask, is_causal=causal, scale=SCALE)
        expanded()
        torch.cuda.synchronize()
        return expanded, note

    # FlexAttention ---------------------------------------------------------

    def flex_fn(self, row, d):
        if self.flex_error:
            raise RuntimeError("flex_attention unavailable: " +
                               self.flex_error)
        torch, fa = self.torch, self.fa
        S, lq, v = row.ctx, row.q_len, row.variant
        off = S - lq          # queries are the last lq positions
        dev = d.q.device

        def causal(b, h, q_idx, kv_idx):
            return kv_idx <= q_idx + off

        def window(b, h, q_idx, kv_idx):
            return (kv_idx <= q_idx + off) & (q_idx + off - kv_idx < WINDOW)

        mask_mod = window if v == "window" else (
            causal if row.kind == "prefill" else None)
        mask_b = None
        if row.lens is not None:   # padded decode: keys past each length
            lens_t = d.seq_lens

            def mask_mod(b, h, q_idx, kv_idx):
                return kv_idx < lens_t[b]
            mask_b = row.batch
        block_mask = None
        if mask_mod is not None:
            block_mask = fa.create_block_mask(mask_mod, mask_b, None, lq, S,
                                              device=dev)
        score_mod = None
        if v == "softcap":
            def score_mod(score, b, h, q_idx, kv_idx):
                return SOFTCAP * torch.tanh(score / SOFTCAP)
        elif v == "alibi":
            slopes = d.alibi

            def score_mod(score, b, h, q_idx, kv_idx):
                return score + slopes[h] * (kv_idx - q_idx - off)
        flex = self.flex
        q, k, vv = d.qd, d.kd, d.vd
        if v != "sinks":
            def run():
                return flex(q, k, vv, score_mod=score_mod,
                            block_mask=block_mask, scale=SCALE,
                            enable_gqa=True)
            return run, ""
        # Sinks: flex has no sink logit; fold it in afterwards from the
        # log-sum-exp: out * sum / (sum + exp(sink)).
        sinks = d.sinks.view(1, H, 1)
        aux = self.aux

        def lse_aux():
            o, a = flex(q, k, vv, score_mod=score_mod, block_mask=block_mask,
                        scale=SCALE, enable_gqa=True,
                        return_aux=aux(lse=True))
            return o, a.lse

        def lse_old():
            return flex(q, k, vv, score_mod=score_mod, block_mask=block_mask,
                        scale=SCALE, enable_gqa=True, return_lse=True)
        with_lse = lse_old
        if aux is not None:
            try:
                lse_aux()
                with_lse = lse_aux
            except Exception as e:
                say("  (flex return_aux failed: %s; using return_lse)"
                    % short(e))

        def run_sinks():
            o, lse = with_lse()
            w = torch.sigmoid(lse.float() - sinks).unsqueeze(-1)
            return (o.float() * w).to(o.dtype)
        return run_sinks, "sink folded in from flex's LSE (one extra op)"
