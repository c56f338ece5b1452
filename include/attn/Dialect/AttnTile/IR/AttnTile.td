//===- AttnTile.td - tile-level memory ops -----------------*- tablegen -*-===//
//
// The few tile-level operations that upstream vector/memref ops do not
// express well: loading and storing a tile whose rows are contiguous in
// memory but sit at arbitrary offsets (rows of a paged KV cache gathered
// through a block table, query rows of a packed GQA tile). Everything else
// in the target-neutral schedule is upstream vector/arith/math/scf.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_DIALECT_ATTNTILE_IR_ATTNTILE_TD
#define ATTN_DIALECT_ATTNTILE_IR_ATTNTILE_TD

include "mlir/IR/OpBase.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def AttnTile_Dialect : Dialect {
  let name = "attn_tile";
  let cppNamespace = "::mlir::attn::tile";
  let summary = "Tile-level row gathers and scatters of the attn schedule";
  let description = [{
    The target-neutral schedule (`convert-attn-to-tiles`) works on whole
    tiles held in 2-D vectors. Its only memory operations that upstream
    `vector` does not cover directly are row gathers and scatters: each
    backend lowers them for its hardware (the host to per-row vector loads,
    a GPU backend to asynchronous copies through shared memory).
  }];
  let dependentDialects = ["::mlir::vector::VectorDialect"];
}

class AttnTile_Op<string mnemonic, list<Trait> traits = []>
    : Op<AttnTile_Dialect, mnemonic, traits>;

def AttnTile_LoadRowsOp : AttnTile_Op<"load_rows"> {
  let summary = "load a tile whose rows are contiguous runs at given offsets";
  let description = [{
    Row `r` of the result is `base[offsets[r] .. offsets[r] + cols)`, or zeros
    where `mask[r]` is false (nothing is read for masked rows).

    ```mlir
    %k = attn_tile.load_rows %cache[%offsets], %valid
        : memref<?xbf16>, vector<32xi64>, vector<32xi1> -> vector<32x128xbf16>
    ```
  }];
  let arguments = (ins Arg<MemRefRankOf<[AnyType], [1]>, "", [MemRead]>:$base,
                       VectorOfRankAndType<[1], [I64]>:$offsets,
                       VectorOfRankAndType<[1], [I1]>:$mask);
  let results = (outs VectorOfRank<[2]>:$result);
  let assemblyFormat = [{
    $base `[` $offsets `]` `,` $mask attr-dict `:` type($base) `,`
    type($offsets) `,` type($mask) `->` type($result)
  }];
  let hasVerifier = 1;
}

def AttnTile_StoreRowsOp : AttnTile_Op<"store_rows"> {
  let summary = "store the rows of a tile as contiguous runs at given offsets";
  let description = [{
    Writes row `r` of `value` to `base[offsets[r] .. offsets[r] + cols)` where
    `mask[r]` is true; masked rows write nothing.

    ```mlir
    attn_tile.store_rows %o, %out[%offsets], %valid
        : vector<16x128xbf16>, memref<?xbf16>, vector<16xi64>, vector<16xi1>
    ```
  }];
  let arguments = (ins VectorOfRank<[2]>:$value,
                       Arg<MemRefRankOf<[AnyType], [1]>, "", [MemWrite]>:$base,
                       VectorOfRankAndType<[1], [I64]>:$offsets,
                       VectorOfRankAndType<[1], [I1]>:$mask);
  let assemblyFormat = [{
    $value `,` $base `[` $offsets `]` `,` $mask attr-dict `:` type($value) `,`
    type($base) `,` type($offsets) `,` type($mask)
  }];
  let hasVerifier = 1;
}

#endif // ATTN_DIALECT_ATTNTILE_IR_ATTNTILE_TD
