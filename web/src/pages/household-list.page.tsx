/**
 * 农户信息 — the household list of the chosen region: one search box (name, household number or
 * ID number), two filters, keyset pages appended by "加载更多". A row opens the household.
 */
import { SearchOutlined } from "@ant-design/icons";
import {
  Breadcrumb,
  Button,
  Card,
  Checkbox,
  Empty,
  Input,
  Select,
  Space,
  Table,
  Tag,
  Typography,
} from "antd";
import type { ColumnsType } from "antd/es/table/index.js";
import { useCallback, useEffect, useState } from "react";
import { Link, useNavigate, useSearchParams } from "react-router-dom";
import { HOUSEHOLD_TYPES, MONITORING_CATEGORIES } from "../../../src/core/vocab.ts";
import { api } from "../api/client.ts";
import type { HouseholdListItem, Page, RegionPathItem } from "../api/types.ts";
import { CategoryTag, HouseholdTypeTag, RiskTag } from "../components/tags.tsx";
import { useApiError } from "../components/use-api-error.tsx";
import { useI18n } from "../i18n/i18n.tsx";
import { looksLikeIdNumber, vocabLabel, yuan } from "../registry/fields.ts";
import { rootRegionOf, useUser } from "../session/session.tsx";
import { ExportButton } from "./exchange/export-button.tsx";

const PAGE_SIZE = 50;

export function HouseholdListPage() {
  const { t, fieldLang } = useI18n();
  const user = useUser();
  const navigate = useNavigate();
  const showError = useApiError();
  const [params, setParams] = useSearchParams();
  const region = params.get("region") ?? rootRegionOf(user);
  const q = params.get("q") ?? "";
  const householdType = params.get("householdType") ?? undefined;
  const monitoringCategory = params.get("monitoringCategory") ?? undefined;
  const monitored = params.get("monitored") === "true";

  const [items, setItems] = useState<HouseholdListItem[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [loadingMore, setLoadingMore] = useState(false);
  const [text, setText] = useState(q);
  const [path, setPath] = useState<RegionPathItem[]>([]);

  const query = useCallback(
    (after?: string) => {
      const byId = looksLikeIdNumber(q);
      return {
        region,
        q: byId ? undefined : q,
        idNumber: byId ? q.replace(/\s+/g, "").toUpperCase() : undefined,
        householdType,
        monitoringCategory,
        monitored: monitored ? "true" : undefined,
        limit: PAGE_SIZE,
        after,
      };
    },
    [region, q, householdType, monitoringCategory, monitored],
  );

  useEffect(() => setText(q), [q]);

  useEffect(() => {
    const ctrl = new AbortController();
    setLoading(true);
    api
      .get<Page<HouseholdListItem>>("/api/households", query(), ctrl.signal)
      .then((page) => {
        setItems(page.items);
        setNext(page.next);
      })
      .catch((e: unknown) => {
        showError(e);
        if (!ctrl.signal.aborted) {
          setItems([]);
          setNext(null);
        }
      })
      .finally(() => !ctrl.signal.aborted && setLoading(false));
    return () => ctrl.abort();
  }, [query, showError]);

  useEffect(() => {
    let live = true;
    api
      .get<{ items: RegionPathItem[] }>(`/api/regions/${region}/path`)
      .then((r) => live && setPath(r.items))
      .catch(() => live && setPath([]));
    return () => {
      live = false;
    };
  }, [region]);

  const loadMore = async () => {
    if (!next) return;
    setLoadingMore(true);
    try {
      const page = await api.get<Page<HouseholdListItem>>("/api/households", query(next));
      setItems((prev) => [...prev, ...page.items]);
      setNext(page.next);
    } catch (e) {
      showError(e);
    } finally {
      setLoadingMore(false);
    }
  };

  const withRegion = (code: string) => {
    const p = new URLSearchParams(params);
    p.set("region", code);
    return p.toString();
  };

  const setParam = (key: string, value: string | undefined) => {
    const p = new URLSearchParams(params);
    if (value) p.set(key, value);
    else p.delete(key);
    setParams(p);
  };

  const columns: ColumnsType<HouseholdListItem> = [
    {
      title: t.list.columns.householdNumber,
      dataIndex: "householdNumber",
      width: 168,
      render: (v: string) => <Typography.Link>{v}</Typography.Link>,
    },
    { title: t.list.columns.town, dataIndex: "townName", width: 96 },
    { title: t.list.columns.village, dataIndex: "villageName", width: 120 },
    { title: t.list.columns.group, dataIndex: "groupName", width: 84 },
    { title: t.list.columns.head, dataIndex: "headName", width: 84 },
    { title: t.list.columns.size, dataIndex: "size", width: 56, align: "right" },
    {
      title: t.list.columns.householdType,
      dataIndex: "householdType",
      width: 92,
      render: (v: string | null) => <HouseholdTypeTag code={v} />,
    },
    {
      title: t.list.columns.monitoringCategory,
      dataIndex: "monitoringCategory",
      width: 124,
      render: (v: string | null) => <CategoryTag code={v} />,
    },
    {
      title: t.list.columns.riskEliminated,
      dataIndex: "riskEliminated",
      width: 82,
      render: (v: boolean | null, row) =>
        row.monitoringCategory ? <RiskTag eliminated={v} /> : t.common.empty,
    },
    {
      title: t.list.columns.perCapitaIncome,
      dataIndex: "perCapitaIncome",
      width: 128,
      align: "right",
      render: (v: number | null) => (
        <span className="num">{v === null ? t.common.empty : yuan(v)}</span>
      ),
    },
  ];

  const regionName = path.at(-1)?.name ?? region;

  return (
    <div className="page">
      <Breadcrumb
        className="page__crumbs"
        items={path
          .filter((p) => p.code.length >= rootRegionOf(user).length)
          .map((p) => ({
            title:
              p.code === region ? (
                p.name
              ) : (
                <Link to={{ search: withRegion(p.code) }}>{p.name}</Link>
              ),
          }))}
      />
      <Card
        title={
          <Space>
            <span>{t.list.title}</span>
            <Typography.Text type="secondary" style={{ fontWeight: "normal" }}>
              {regionName}
            </Typography.Text>
          </Space>
        }
        className="page__card"
        extra={<ExportButton region={region} />}
      >
        <div className="filters">
          <Input.Search
            className="filters__search"
            data-testid="household-search"
            placeholder={t.list.searchPlaceholder}
            value={text}
            onChange={(e) => setText(e.target.value)}
            onSearch={(v) => setParam("q", v.trim() || undefined)}
            enterButton={
              <>
                <SearchOutlined /> {t.list.search}
              </>
            }
            allowClear
          />
          <Select
            className="filters__select"
            allowClear
            placeholder={t.list.householdType}
            value={householdType}
            onChange={(v?: string) => setParam("householdType", v)}
            options={HOUSEHOLD_TYPES.map((v) => ({
              value: v.code,
              label: vocabLabel(HOUSEHOLD_TYPES, v.code, fieldLang),
            }))}
          />
          <Select
            className="filters__select filters__select--wide"
            allowClear
            placeholder={t.list.monitoringCategory}
            value={monitoringCategory}
            onChange={(v?: string) => setParam("monitoringCategory", v)}
            options={MONITORING_CATEGORIES.map((v) => ({
              value: v.code,
              label: vocabLabel(MONITORING_CATEGORIES, v.code, fieldLang),
            }))}
          />
          <Checkbox
            checked={monitored}
            onChange={(e) => setParam("monitored", e.target.checked ? "true" : undefined)}
          >
            {t.list.monitoredOnly}
          </Checkbox>
          <Button
            onClick={() => {
              const p = new URLSearchParams();
              p.set("region", region);
              setParams(p);
            }}
          >
            {t.common.reset}
          </Button>
          {looksLikeIdNumber(q) && <Tag color="blue">{t.list.searchingId}</Tag>}
        </div>
        <Table<HouseholdListItem>
          rowKey="householdNumber"
          size="middle"
          bordered
          columns={columns}
          dataSource={items}
          loading={loading}
          pagination={false}
          scroll={{ x: 1000 }}
          locale={{ emptyText: <Empty description={t.list.empty} /> }}
          onRow={(row) => ({
            onClick: () => navigate(`/households/${encodeURIComponent(row.householdNumber)}`),
            className: "clickable-row",
          })}
        />
        <div className="list-footer">
          <Typography.Text type="secondary">{t.list.shown(items.length)}</Typography.Text>
          {next ? (
            <Button onClick={loadMore} loading={loadingMore}>
              {t.list.loadMore}
            </Button>
          ) : (
            items.length > 0 && <Typography.Text type="secondary">{t.list.noMore}</Typography.Text>
          )}
        </div>
      </Card>
    </div>
  );
}
