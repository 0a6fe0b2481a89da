/**
 * 比对报告 — one load's comparison within the user's region: per town the rows matched and the
 * alerts raised, the alerts with their source rows, the rows that matched nobody, and an Excel
 * download for the towns to verify.
 */
import { DownloadOutlined } from "@ant-design/icons";
import { Alert, Button, Card, Skeleton, Table, Tag, Typography } from "antd";
import { useEffect, useState } from "react";
import { Link, useParams } from "react-router-dom";
import { useApiError } from "../../components/use-api-error.tsx";
import { chinaDateTime } from "../../format.ts";
import { useSession } from "../../session/session.tsx";
import { useFeedsText } from "./feeds.i18n.ts";
import {
  type ComparisonReport,
  type FeedLoad,
  feedLoad,
  feedReport,
  feedReportUrl,
} from "./feeds-api.ts";

export function FeedReportPage() {
  const x = useFeedsText();
  const showError = useApiError();
  const id = Number(useParams().id);
  const [report, setReport] = useState<ComparisonReport | null>(null);
  const [load, setLoad] = useState<FeedLoad | null>(null);
  // A department's officer reads the report but not the registry: households as plain text.
  const { user } = useSession();
  const household = (n: string) =>
    user?.can.includes("household.read") ? <Link to={`/households/${n}`}>{n}</Link> : n;

  useEffect(() => {
    feedReport(id)
      .then(setReport)
      .catch((e: unknown) => showError(e));
    feedLoad(id)
      .then(setLoad)
      .catch((e: unknown) => showError(e));
  }, [id, showError]);

  if (!report) return <Skeleton active />;
  return (
    <div className="page" data-testid="feed-report">
      <Typography.Title level={4}>{x.reportTitle(report.feedName)}</Typography.Title>
      <Typography.Paragraph type="secondary">
        {report.fileName} · {chinaDateTime(report.loadedAt)}
      </Typography.Paragraph>
      {load?.withdrawn && (
        <Alert
          type="warning"
          showIcon
          className="page__card"
          data-testid="feed-report-withdrawn"
          message={x.withdrawnBy(
            load.withdrawn.by,
            chinaDateTime(load.withdrawn.at),
            load.withdrawn.reason,
          )}
        />
      )}
      <Button
        icon={<DownloadOutlined />}
        href={feedReportUrl(id)}
        data-testid="feed-report-download"
      >
        {x.download}
      </Button>

      <Card title={x.towns} className="page__card">
        <Table
          size="small"
          rowKey="code"
          pagination={false}
          data-testid="feed-report-towns"
          dataSource={report.towns}
          columns={[
            { title: x.town, dataIndex: "name" },
            { title: x.matched, dataIndex: "matched" },
            { title: x.anomalyCount, dataIndex: "anomalies" },
          ]}
        />
      </Card>

      <Card title={x.anomalies} className="page__card">
        <Table
          size="small"
          rowKey={(a) => `${a.householdNumber}:${a.ruleId}`}
          data-testid="feed-report-anomalies"
          dataSource={report.anomalies}
          columns={[
            {
              title: x.household,
              dataIndex: "householdNumber",
              render: household,
            },
            { title: x.village, dataIndex: "villageName" },
            {
              title: x.rule,
              dataIndex: "ruleName",
              render: (name: string, a) => (
                <Tag color={a.severity === "high" ? "red" : "orange"}>{name}</Tag>
              ),
            },
            { title: x.sources, dataIndex: "sources" },
          ]}
        />
      </Card>

      <Card title={`${x.unmatched} / ${x.ambiguous}`} className="page__card">
        <Table
          size="small"
          rowKey="row"
          data-testid="feed-report-unmatched"
          dataSource={report.unmatched}
          columns={[
            { title: x.row, dataIndex: "row", width: 80 },
            {
              title: x.reason,
              dataIndex: "reason",
              render: (r: string, u) => (
                <span>
                  <Tag color={u.outcome === "ambiguous" ? "orange" : "default"}>
                    {u.outcome === "ambiguous" ? x.ambiguous : x.unmatched}
                  </Tag>
                  {r}
                </span>
              ),
            },
            { title: x.idNumber, dataIndex: "idNumber" },
            { title: x.name, dataIndex: "name" },
          ]}
        />
      </Card>

      <Card title={x.matched} className="page__card">
        <Table
          size="small"
          rowKey="row"
          dataSource={report.matched}
          columns={[
            { title: x.row, dataIndex: "row", width: 80 },
            {
              title: x.household,
              dataIndex: "householdNumber",
              render: household,
            },
            { title: x.village, dataIndex: "villageName" },
            { title: x.member, dataIndex: "memberName" },
            { title: x.effectiveFrom, dataIndex: "effectiveFrom" },
          ]}
        />
      </Card>
    </div>
  );
}
