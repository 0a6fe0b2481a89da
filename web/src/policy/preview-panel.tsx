/** The what-if preview: per rule and per town how many households the draft gains or loses, and which. */
import { DownOutlined, RightOutlined } from "@ant-design/icons";
import { Alert, Card, Col, Empty, Row, Table, Tabs, Tag, Typography } from "antd";
import type { ColumnsType } from "antd/es/table/index.js";
import { Fragment, useState } from "react";
import { Link } from "react-router-dom";
import { useI18n } from "../i18n/i18n.tsx";
import type { PreviewHousehold, PreviewResult } from "../monitoring/monitoring-api.ts";

interface PreviewPanelProps {
  result: PreviewResult;
  /** The draft changed after this preview was made. */
  stale: boolean;
  /** Rule names by id (the policy's and the draft's). */
  ruleNames: Map<string, string>;
}

function Delta({ n, sign }: { n: number; sign: "+" | "-" }) {
  if (n === 0) return <span className="num delta delta--zero">0</span>;
  return (
    <span className={`num delta ${sign === "+" ? "delta--gained" : "delta--lost"}`}>
      {sign}
      {n}
    </span>
  );
}

export function PreviewPanel({ result, stale, ruleNames }: PreviewPanelProps) {
  const { t } = useI18n();
  /** Towns opened to their villages. */
  const [open, setOpen] = useState<string[]>([]);
  const changedRules = result.rules.filter(
    (r) => r.gained > 0 || r.lost > 0 || r.before !== r.after,
  );
  const regions = result.byRegion.filter((r) => r.gained > 0 || r.lost > 0);
  const max = Math.max(1, ...regions.map((r) => Math.max(r.gained, r.lost)));

  const households: ColumnsType<PreviewHousehold> = [
    {
      title: t.monitoring.columns.householdNumber,
      dataIndex: "householdNumber",
      width: 180,
      render: (v: string) => (
        <Link to={`/households/${encodeURIComponent(v)}`} className="mono">
          {v}
        </Link>
      ),
    },
    { title: t.monitoring.columns.head, dataIndex: "headName", width: 90 },
    { title: t.monitoring.columns.village, dataIndex: "villageName", width: 120 },
    {
      title: t.policy.previewRules,
      dataIndex: "rules",
      render: (rules: string[]) => rules.map((r) => <Tag key={r}>{ruleNames.get(r) ?? r}</Tag>),
    },
  ];

  // The lists stop at the first hundred; the counts are complete.
  const gained = result.gainedHouseholds;
  const lost = result.lostHouseholds;
  const noChange = gained === 0 && lost === 0;
  const villagesOf = (town: string) =>
    result.byVillage.filter((v) => v.code.startsWith(town) && (v.gained > 0 || v.lost > 0));

  return (
    <Card
      className={`page__card preview${stale ? " preview--stale" : ""}`}
      title={t.policy.previewTitle}
      extra={
        <span>
          <Typography.Text strong data-testid="preview-totals">
            {t.policy.previewTotals(gained, lost)}
          </Typography.Text>
          <Typography.Text type="secondary" className="preview__meta">
            {t.policy.previewMeta(result.households, result.ms)}
          </Typography.Text>
        </span>
      }
      data-testid="preview"
    >
      {stale && (
        <Alert type="warning" showIcon className="preview__stale" title={t.policy.previewStale} />
      )}
      {noChange ? (
        <Empty description={t.policy.previewNoChange} />
      ) : (
        <>
          <Row gutter={16}>
            <Col xs={24} xl={12}>
              <Typography.Title level={5}>{t.policy.previewByRegion}</Typography.Title>
              <table className="preview-regions" data-testid="preview-regions">
                <thead>
                  <tr>
                    <th>{t.policy.previewRegion}</th>
                    <th>{t.policy.previewGainedShort}</th>
                    <th>{t.policy.previewLostShort}</th>
                  </tr>
                </thead>
                <tbody>
                  {regions.map((r) => {
                    const villages = villagesOf(r.code);
                    const isOpen = open.includes(r.code);
                    return (
                      <Fragment key={r.code}>
                        <tr data-testid="preview-region" className="preview-regions__town">
                          <td>
                            {villages.length > 0 ? (
                              <button
                                type="button"
                                className="preview-regions__toggle"
                                onClick={() =>
                                  setOpen((o) =>
                                    isOpen ? o.filter((c) => c !== r.code) : [...o, r.code],
                                  )
                                }
                                aria-expanded={isOpen}
                              >
                                {isOpen ? <DownOutlined /> : <RightOutlined />} {r.name ?? r.code}
                              </button>
                            ) : (
                              (r.name ?? r.code)
                            )}
                          </td>
                          <td>
                            <span
                              className="preview-bar preview-bar--gained"
                              style={{ width: `${(r.gained / max) * 100}px` }}
                            />
                            <Delta n={r.gained} sign="+" />
                          </td>
                          <td>
                            <span
                              className="preview-bar preview-bar--lost"
                              style={{ width: `${(r.lost / max) * 100}px` }}
                            />
                            <Delta n={r.lost} sign="-" />
                          </td>
                        </tr>
                        {isOpen &&
                          villages.map((v) => (
                            <tr key={v.code} className="preview-regions__village">
                              <td>{v.name ?? v.code}</td>
                              <td>
                                <Delta n={v.gained} sign="+" />
                              </td>
                              <td>
                                <Delta n={v.lost} sign="-" />
                              </td>
                            </tr>
                          ))}
                      </Fragment>
                    );
                  })}
                </tbody>
              </table>
            </Col>
            <Col xs={24} xl={12}>
              <Typography.Title level={5}>{t.policy.previewByRule}</Typography.Title>
              <Table
                rowKey="id"
                size="small"
                pagination={false}
                dataSource={changedRules}
                columns={[
                  { title: t.monitoring.rule, dataIndex: "name" },
                  { title: t.policy.previewBefore, dataIndex: "before", align: "right", width: 72 },
                  { title: t.policy.previewAfter, dataIndex: "after", align: "right", width: 72 },
                  {
                    title: t.policy.previewGainedShort,
                    dataIndex: "gained",
                    align: "right",
                    width: 72,
                    render: (n: number) => <Delta n={n} sign="+" />,
                  },
                  {
                    title: t.policy.previewLostShort,
                    dataIndex: "lost",
                    align: "right",
                    width: 72,
                    render: (n: number) => <Delta n={n} sign="-" />,
                  },
                ]}
                data-testid="preview-rules"
              />
            </Col>
          </Row>
          <Tabs
            className="preview__lists"
            items={[
              {
                key: "gained",
                label: `${t.policy.previewGained}（${gained}）`,
                children: (
                  <Table<PreviewHousehold>
                    rowKey="householdNumber"
                    size="small"
                    columns={households}
                    dataSource={result.gained}
                    pagination={{ pageSize: 20, hideOnSinglePage: true, showSizeChanger: false }}
                    footer={
                      result.gained.length < gained
                        ? () => t.policy.previewListCut(result.gained.length)
                        : undefined
                    }
                    data-testid="preview-gained"
                  />
                ),
              },
              {
                key: "lost",
                label: `${t.policy.previewLost}（${lost}）`,
                children: (
                  <Table<PreviewHousehold>
                    rowKey="householdNumber"
                    size="small"
                    columns={households}
                    dataSource={result.lost}
                    pagination={{ pageSize: 20, hideOnSinglePage: true, showSizeChanger: false }}
                    footer={
                      result.lost.length < lost
                        ? () => t.policy.previewListCut(result.lost.length)
                        : undefined
                    }
                    data-testid="preview-lost"
                  />
                ),
              },
            ]}
          />
        </>
      )}
    </Card>
  );
}
