/**
 * The user's region subtree, loaded a level at a time as it opens, with a name search that
 * opens the tree down to the region found. Choosing a region filters the household list.
 */
import { AutoComplete, Input, Spin, Tree } from "antd";
import { type ReactNode, useCallback, useEffect, useRef, useState } from "react";
import { api } from "../api/client.ts";
import type { RegionPathItem, RegionSearchItem, RegionView } from "../api/types.ts";
import { useI18n } from "../i18n/i18n.tsx";
import { useApiError } from "./use-api-error.tsx";

interface RegionNode {
  key: string;
  title: string;
  isLeaf: boolean;
  children?: RegionNode[];
}

const isVillage = (code: string) => code.length === 12;

function withChildren(nodes: RegionNode[], key: string, children: RegionNode[]): RegionNode[] {
  return nodes.map((n) =>
    n.key === key
      ? { ...n, children }
      : n.children
        ? { ...n, children: withChildren(n.children, key, children) }
        : n,
  );
}

function toNodes(view: RegionView): RegionNode[] {
  return view.children.map((c) => ({ key: c.code, title: c.name, isLeaf: isVillage(c.code) }));
}

/** The region's name, then where it lies (its full name without the province and city). */
function SearchLabel({ item }: { item: RegionSearchItem }) {
  const parts = (item.fullName || item.name).split(/\s+/).filter(Boolean);
  const where = parts.slice(Math.min(2, Math.max(0, parts.length - 2)), -1).join(" ");
  return (
    <span className="region-option">
      <span>{item.name}</span>
      {where && <span className="region-option__where">{where}</span>}
    </span>
  );
}

interface RegionTreeProps {
  root: string;
  selected: string | null;
  onSelect(code: string): void;
}

export function RegionTree({ root, selected, onSelect }: RegionTreeProps) {
  const { t } = useI18n();
  const showError = useApiError();
  const [tree, setTree] = useState<RegionNode[] | null>(null);
  const [expanded, setExpanded] = useState<string[]>([root]);
  const [loaded, setLoaded] = useState<string[]>([]);
  const [options, setOptions] = useState<{ value: string; label: ReactNode }[]>([]);
  const [search, setSearch] = useState("");
  const loadedRef = useRef(new Set<string>());
  const searchTimer = useRef<number | undefined>(undefined);

  /** Loads the children of a node once; resolves when they are in the tree. */
  const loadChildren = useCallback(async (code: string) => {
    if (loadedRef.current.has(code)) return;
    const view = await api.get<RegionView>(`/api/regions/${code}`);
    loadedRef.current.add(code);
    setTree((prev) => (prev ? withChildren(prev, code, toNodes(view)) : prev));
    setLoaded((prev) => [...prev, code]);
  }, []);

  useEffect(() => {
    let live = true;
    loadedRef.current = new Set();
    api
      .get<RegionView>(`/api/regions/${root}`)
      .then((view) => {
        if (!live) return;
        loadedRef.current.add(root);
        setTree([
          {
            key: view.code,
            title: view.name,
            isLeaf: isVillage(view.code),
            children: toNodes(view),
          },
        ]);
        setLoaded([root]);
        setExpanded([root]);
      })
      .catch((e: unknown) => live && showError(e));
    return () => {
      live = false;
    };
  }, [root, showError]);

  /** Opens the tree down to a region (after a search or when the page is opened on one). */
  const reveal = useCallback(
    async (code: string) => {
      const { items } = await api.get<{ items: RegionPathItem[] }>(`/api/regions/${code}/path`);
      const chain = items
        .map((i) => i.code)
        .filter((c) => c.length >= root.length && c.startsWith(root) && c !== code);
      for (const c of chain) await loadChildren(c);
      setExpanded((prev) => [...new Set([...prev, ...chain])]);
    },
    [root, loadChildren],
  );

  const revealedFor = useRef<string | null>(null);
  useEffect(() => {
    if (
      !tree ||
      !selected ||
      revealedFor.current === selected ||
      selected === root ||
      !selected.startsWith(root)
    )
      return;
    revealedFor.current = selected;
    reveal(selected).catch(() => {
      // A region outside the tree simply stays closed.
    });
  }, [tree, selected, root, reveal]);

  const onSearch = (q: string) => {
    setSearch(q);
    window.clearTimeout(searchTimer.current);
    if (q.trim() === "") {
      setOptions([]);
      return;
    }
    searchTimer.current = window.setTimeout(() => {
      api
        .get<{ items: RegionSearchItem[] }>("/api/regions", { q: q.trim(), limit: 20 })
        .then(({ items }) =>
          setOptions(items.map((i) => ({ value: i.code, label: <SearchLabel item={i} /> }))),
        )
        .catch(() => setOptions([]));
    }, 250);
  };

  return (
    <div className="region-tree">
      <AutoComplete
        className="region-tree__search"
        options={options}
        popupMatchSelectWidth={320}
        value={search}
        onSearch={onSearch}
        onSelect={(code: string) => {
          setSearch("");
          setOptions([]);
          onSelect(code);
        }}
      >
        <Input.Search placeholder={t.layout.findRegion} allowClear size="middle" />
      </AutoComplete>
      {tree ? (
        <Tree<RegionNode>
          blockNode
          showLine
          treeData={tree}
          expandedKeys={expanded}
          loadedKeys={loaded}
          selectedKeys={selected ? [selected] : []}
          onExpand={(keys) => setExpanded(keys.map(String))}
          loadData={(node) => loadChildren(String(node.key)).catch((e: unknown) => showError(e))}
          onSelect={(keys, info) => {
            const code = String(keys[0] ?? info.node.key);
            onSelect(code);
          }}
        />
      ) : (
        <div className="region-tree__loading">
          <Spin size="small" /> {t.common.loading}
        </div>
      )}
    </div>
  );
}
